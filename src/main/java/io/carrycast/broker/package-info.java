/** A real single-node Apache Kafka broker (KRaft) for the demo, the {@code broker} command and the tests. */
package io.carrycast.broker;

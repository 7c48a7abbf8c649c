/**
 * A real single-node Apache Kafka broker (KRaft) for the demo, the {@code broker} command and the tests, with
 * its security set-up; not used by {@code run}, which talks to the cluster through {@code io.carrycast.cluster}.
 */
package io.carrycast.broker;

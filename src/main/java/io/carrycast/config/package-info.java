/** Configuration: the one definition of carrycast's own settings and the Kafka Streams pass-through. */
package io.carrycast.config;

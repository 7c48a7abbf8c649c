/**
 * The running forecaster ({@link io.carrycast.app.CarrycastApplication}): the live model, Kafka Streams around
 * the topology, the HTTP endpoint and the model reloads, wired from one configuration; and the explanation of
 * a refusal by the cluster ({@link io.carrycast.app.KafkaAccessFailure}).
 */
package io.carrycast.app;

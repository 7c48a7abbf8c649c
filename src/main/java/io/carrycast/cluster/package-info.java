/**
 * What {@code run} asks of a production Kafka cluster before it starts: that it answers
 * ({@link io.carrycast.cluster.ClusterProbe}) and, when configured to, that the topics exist
 * ({@link io.carrycast.cluster.TopicSetup}).
 */
package io.carrycast.cluster;

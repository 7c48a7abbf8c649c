/**
 * The HTTP surface: Prometheus metrics, health, and each key's latest forecast through Kafka Streams'
 * interactive queries, forwarded to the instance that owns the key.
 */
package io.carrycast.http;

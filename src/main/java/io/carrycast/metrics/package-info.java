/** What carrycast measures about itself, recorded with Micrometer and served by the HTTP endpoint. */
package io.carrycast.metrics;

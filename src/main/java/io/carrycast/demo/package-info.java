/** The end-to-end demo: real weather data through a real broker, scored and charted. */
package io.carrycast.demo;

/** The {@code carrycast} command line: {@code run}, {@code backtest}, {@code broker} and {@code demo}. */
package io.carrycast.cli;

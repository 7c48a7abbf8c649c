package io.carrycast.cli;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SIGTERM and SIGINT as a request to the waiting thread to stop, instead of the JVM's default of running
 * shutdown hooks and exiting with 128 + the signal number. Once the JVM's shutdown has begun, no code can
 * change its exit status, so a clean stop that exits 0 with a last line must happen on the main thread,
 * before {@code System.exit}. There is no public Java API for signals; {@code sun.misc.Signal} (module
 * jdk.unsupported) is reached by reflection, as Kafka's own {@code LoggingSignalHandler} does, so the build
 * carries no internal-API warnings.
 *
 * <p>Until {@link #stopInterrupting} the waiting thread is also interrupted, so a stop while starting
 * (waiting for the cluster, say) ends that wait. Closing gives the signals back to the JVM.
 */
final class StopSignals implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StopSignals.class);
    private static final List<String> SIGNALS = List.of("TERM", "INT");

    private final Thread waiter = Thread.currentThread();
    private final CountDownLatch requested = new CountDownLatch(1);
    private final List<Runnable> restore = new ArrayList<>();
    private volatile String received;
    private boolean interruptWaiter = true;

    private StopSignals() {
    }

    /** Handles SIGTERM and SIGINT for the calling thread; where that is not possible, the JVM's hooks remain. */
    static StopSignals install() {
        StopSignals signals = new StopSignals();
        try {
            Class<?> signalClass = Class.forName("sun.misc.Signal");
            Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            Method handle = signalClass.getMethod("handle", signalClass, handlerClass);
            Object handler = Proxy.newProxyInstance(StopSignals.class.getClassLoader(), new Class<?>[] {handlerClass},
                    (proxy, method, args) -> {
                        if (method.getName().equals("handle")) {
                            signals.onSignal(String.valueOf(signalClass.getMethod("getName").invoke(args[0])));
                            return null;
                        }
                        return method.getName().equals("toString") ? "carrycast stop handler"
                                : method.getName().equals("hashCode") ? System.identityHashCode(proxy) : proxy == args[0];
                    });
            for (String name : SIGNALS) {
                Object signal = signalClass.getConstructor(String.class).newInstance(name);
                Object previous = handle.invoke(null, signal, handler);
                signals.restore.add(() -> invokeQuietly(handle, signal, previous));
            }
        } catch (ReflectiveOperationException | RuntimeException unavailable) {
            LOG.debug("SIGTERM/SIGINT cannot be handled here ({}); the JVM's shutdown hooks stay in charge",
                    unavailable.toString());
        }
        return signals;
    }

    /**
     * Blocks the calling thread until SIGTERM or SIGINT and returns its name ({@code SIGTERM}), so that a
     * command that runs until stopped can close what it holds and exit 0, as {@code run} does.
     */
    static String awaitOne() {
        try (StopSignals stop = install()) {
            while (!stop.requested()) {
                try {
                    stop.requested.await();
                } catch (InterruptedException signalled) {
                    // the loop's condition sees the request
                }
            }
            stop.stopInterrupting();
            return stop.received();
        }
    }

    private synchronized void onSignal(String name) {
        if (received == null) {
            received = "SIG" + name;
            LOG.info("{} received: stopping", received);
        }
        requested.countDown();
        if (interruptWaiter) {
            waiter.interrupt();
        }
    }

    boolean requested() {
        return requested.getCount() == 0;
    }

    /** The signal that asked to stop, e.g. {@code SIGTERM}, or null. */
    String received() {
        return received;
    }

    /** Called by the waiting thread before it closes: no more interrupts, and a pending one is cleared. */
    synchronized void stopInterrupting() {
        interruptWaiter = false;
        Thread.interrupted();
    }

    @Override
    public synchronized void close() {
        interruptWaiter = false;
        restore.forEach(Runnable::run);
    }

    private static void invokeQuietly(Method handle, Object signal, Object handler) {
        try {
            handle.invoke(null, signal, handler);
        } catch (IllegalAccessException | InvocationTargetException e) {
            LOG.debug("Could not give {} back to the JVM: {}", signal, e.toString());
        }
    }
}

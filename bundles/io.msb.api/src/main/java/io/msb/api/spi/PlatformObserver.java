package io.msb.api.spi;

import io.msb.api.TerminationReason;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * Told what the platform did: register any number as services (e.g. the metrics bundle). The runtime and the image
 * service call every observer registered at that moment, on the thread that did the work, so an observer must be quick
 * and must not call back into the platform. What an observer throws is logged and otherwise ignored: observing never
 * fails a create, an exec or a pull. Every method has a no-op default, so an observer overrides only what it needs.
 *
 * @since 2.8
 */
@org.osgi.annotation.versioning.ConsumerType
public interface PlatformObserver {
    /** A sandbox was created and its guest is ready; {@code took} runs from the create call to ready, pull included. */
    default void created(String sandbox, String backend, Duration took) {
    }

    /** A sandbox's VM booted and its agent answered (every boot: a create's and a restart's). */
    default void started(String sandbox, String backend, Duration took) {
    }

    /** A run of a sandbox ended. */
    default void stopped(String sandbox, TerminationReason reason) {
    }

    /**
     * A create or a start failed.
     *
     * @param stage {@code create} or {@code start}
     * @param cause what failed it
     */
    default void failed(String sandbox, String stage, Throwable cause) {
    }

    /** A command run in a sandbox ended (collected or streamed), {@code took} after it was asked for. */
    default void execFinished(String sandbox, Duration took) {
    }

    /**
     * An image was pulled: {@code cacheHit} when it was already complete in the cache (then {@code bytes} is 0), else
     * {@code bytes} is the compressed size of what the image consists of.
     */
    default void pulled(String reference, long bytes, Duration took, boolean cacheHit) {
    }

    /** Tells each observer: what one throws is logged, never passed on, and the others are told all the same. */
    static void tellAll(Iterable<? extends PlatformObserver> observers, Consumer<PlatformObserver> event) {
        for (PlatformObserver observer : observers) {
            try {
                event.accept(observer);
            } catch (RuntimeException | LinkageError e) {
                System.getLogger(PlatformObserver.class.getName()).log(System.Logger.Level.WARNING,
                        "platform observer " + observer.getClass().getName() + " failed; ignored", e);
            }
        }
    }
}

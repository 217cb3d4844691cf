package io.msb.runtime.internal;

import java.lang.reflect.Proxy;

/** An instance of a configuration annotation whose methods return their declared defaults, as DS would give. */
public final class AnnotationDefaults {
    private AnnotationDefaults() {
    }

    public static <A> A of(Class<A> type) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type},
                (proxy, method, args) -> method.getDefaultValue()));
    }
}

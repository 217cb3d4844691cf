package io.msb.itests;

import javax.inject.Inject;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.osgi.framework.BundleContext;

/**
 * What most Pax Exam tests here start from: the platform of {@link MsbPlatform#forHome} in a new home of the test
 * class, and the probe's {@link #context}.
 */
public abstract class PlatformTestBase {
    @Inject
    protected BundleContext context;

    @Configuration
    public Option[] config() {
        return MsbPlatform.forHome(MsbPlatform.newHome(getClass()));
    }
}

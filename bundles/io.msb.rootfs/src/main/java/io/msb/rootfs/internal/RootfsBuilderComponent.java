package io.msb.rootfs.internal;

import io.msb.api.MsbHome;
import io.msb.api.RootfsSource;
import io.msb.api.image.ImageInfo;
import io.msb.api.spi.RootfsBuilder;
import io.msb.api.spi.RootfsPatch;
import io.msb.api.spi.VmSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** The OSGi face of {@link LocalRootfsBuilder}; configuration PID {@code io.msb.rootfs}. */
@Component(service = RootfsBuilder.class, configurationPid = "io.msb.rootfs")
@Designate(ocd = RootfsBuilderComponent.Config.class)
public final class RootfsBuilderComponent implements RootfsBuilder {

    @ObjectClassDefinition(name = "msb root filesystems", description = "Read-only EROFS root images and writable ext4 uppers")
    public @interface Config {
        @AttributeDefinition(description = "State directory; empty means $MSB_HOME, then -Dmsb.home, then ~/.msb")
        String home() default "";

        @AttributeDefinition(description = "Size of a sandbox's writable upper disk when its spec gives none (MiB)", min = "16")
        int defaultUpperSizeMib() default 4096;

        @AttributeDefinition(description = "mke2fs executable")
        String mke2fsPath() default "mke2fs";

        @AttributeDefinition(description = "debugfs executable (patches are written with it)")
        String debugfsPath() default "debugfs";

        @AttributeDefinition(description = "Layers read in parallel while building an image; 0 means one per CPU", min = "0")
        int buildThreads() default 0;

        @AttributeDefinition(description = "Memory for small-file tails kept for inlining during one build (MiB)", min = "0")
        int tailBudgetMib() default 256;
    }

    private final LocalRootfsBuilder delegate;

    @Activate
    public RootfsBuilderComponent(Config config) {
        int threads = config.buildThreads() > 0 ? config.buildThreads() : Runtime.getRuntime().availableProcessors();
        Path home = MsbHome.resolve(config.home());
        delegate = new LocalRootfsBuilder(home, config.defaultUpperSizeMib(), config.mke2fsPath(), config.debugfsPath(),
                new ErofsImageBuilder(threads, (long) config.tailBudgetMib() << 20));
    }

    @Override
    public VmSpec.Disk rootDisk(ImageInfo image) {
        return delegate.rootDisk(image);
    }

    @Override
    public VmSpec.Disk rootDisk(ImageInfo image, List<? extends CompletionStage<?>> layersReady) {
        return delegate.rootDisk(image, layersReady);
    }

    @Override
    public VmSpec.Disk rootDisk(RootfsSource source) {
        return delegate.rootDisk(source);
    }

    @Override
    public VmSpec.Disk createUpper(Path file, int sizeMib) {
        return delegate.createUpper(file, sizeMib);
    }

    @Override
    public VmSpec.Disk createUpper(Path file, int sizeMib, VmSpec.Disk lower) {
        return delegate.createUpper(file, sizeMib, lower);
    }

    @Override
    public void applyPatches(Path upper, List<RootfsPatch> patches) {
        delegate.applyPatches(upper, patches);
    }
}

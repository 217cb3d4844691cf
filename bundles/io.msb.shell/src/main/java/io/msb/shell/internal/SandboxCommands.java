package io.msb.shell.internal;

import io.msb.api.LabelSelector;
import io.msb.api.NotFoundException;
import io.msb.api.SandboxService;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The {@code msb:} commands of the Felix/Karaf console. They print to {@code System.out}, which Gogo routes to
 * the calling session, rather than returning text: Karaf's exec channel ({@code bin/client CMD}, {@code ssh …
 * CMD}) does not print return values.
 */
@Component(service = SandboxCommands.class, property = {
    "osgi.command.scope=msb",
    "osgi.command.function=ls",
    "osgi.command.function=inspect",
    "osgi.command.function=rm",
    "osgi.command.function=version"})
public final class SandboxCommands {
    private final SandboxService sandboxes;
    private final String version;

    @Activate
    public SandboxCommands(@Reference SandboxService sandboxes, BundleContext context) {
        this(sandboxes, context.getBundle().getVersion().toString());
    }

    SandboxCommands(SandboxService sandboxes, String version) {
        this.sandboxes = sandboxes;
        this.version = version;
    }

    @Descriptor("lists sandboxes")
    public void ls(
            @Descriptor("only sandboxes with these labels: key=value[,key2[=value2]…]")
            @Parameter(names = {"-l", "--label"}, absentValue = "") String labels) {
        System.out.println(SandboxTable.render(sandboxes.list(LabelSelector.parse(labels))));
    }

    @Descriptor("shows everything known about a sandbox")
    public void inspect(@Descriptor("sandbox name") String name) {
        System.out.println(SandboxDetails.render(sandboxes.get(name).orElseThrow(() -> new NotFoundException("sandbox", name))));
    }

    @Descriptor("removes sandboxes and their disks")
    public void rm(
            @Descriptor("stop running sandboxes first") @Parameter(names = {"-f", "--force"}, presentValue = "true",
                    absentValue = "false") boolean force,
            @Descriptor("sandbox names") String... names) {
        if (names.length == 0) {
            throw new IllegalArgumentException("msb:rm needs at least one sandbox name");
        }
        for (String name : names) {
            sandboxes.remove(name, force);
            System.out.println(name);
        }
    }

    @Descriptor("prints the msb version")
    public void version() {
        System.out.println("msb " + version);
    }
}

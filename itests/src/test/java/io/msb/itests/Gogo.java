package io.msb.itests;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.osgi.framework.BundleContext;

/** Runs console commands the way a user at the Gogo (or Karaf) shell would. */
final class Gogo {
    private Gogo() {
    }

    /** Runs one command line in a fresh session; returns everything it printed followed by its result. */
    static String run(BundleContext context, String line) throws Exception {
        CommandProcessor processor = Osgi.service(context, CommandProcessor.class);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
                CommandSession session = processor.createSession(new ByteArrayInputStream(new byte[0]), print, print)) {
            Object result = session.execute(line);
            if (result != null) {
                print.print(session.format(result, Converter.INSPECT));
            }
            print.flush();
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}

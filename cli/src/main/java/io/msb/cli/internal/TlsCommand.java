package io.msb.cli.internal;

import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code msb tls ca}: the certificate of the CA that sandboxes with TLS interception trust (decision 1318). */
@Command(name = "tls", mixinStandardHelpOptions = true, description = "TLS interception.")
final class TlsCommand implements Callable<Integer> {
    private final Cli cli;

    @Spec
    CommandSpec spec;

    TlsCommand(Cli cli) {
        this.cli = cli;
    }

    static CommandLine commandLine(Cli cli) {
        return new CommandLine(new TlsCommand(cli)).addSubcommand(new Ca(cli));
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(cli.out);
        return 0;
    }

    @Command(name = "ca", mixinStandardHelpOptions = true,
        description = "Print the interception CA's certificate (PEM), which guests with secrets or TLS interception"
            + " trust; e.g. msb tls ca > msb-ca.pem.")
    static final class Ca implements Callable<Integer> {
        private final Cli cli;

        @Option(names = "--json", description = "Print {\"pem\": …} instead.")
        boolean json;

        Ca(Cli cli) {
            this.cli = cli;
        }

        @Override
        public Integer call() throws Exception {
            String pem = cli.api().text("/v1/tls/ca.pem", "application/x-pem-file");
            if (json) {
                cli.out.print(cli.json().writeValueAsString(Map.of("pem", pem)) + "\n");
            } else {
                cli.out.print(pem.endsWith("\n") ? pem : pem + "\n");
            }
            return 0;
        }
    }
}

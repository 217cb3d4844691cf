package io.msb.ssh.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "msb SSH endpoint",
        description = "ssh, sftp and scp into sandboxes: the SSH user name is the sandbox name. Public keys only.")
public @interface SshConfig {
    String PID = "io.msb.ssh";

    @AttributeDefinition(name = "Enabled", description = "Listen for SSH connections.")
    boolean enabled() default true;

    @AttributeDefinition(name = "Bind address",
            description = "Address to listen on; the loopback interface by default, as the HTTP API.")
    String bindAddress() default "127.0.0.1";

    @AttributeDefinition(name = "Port", description = "TCP port (Karaf's own console SSH is 8101).", min = "1",
            max = "65535")
    int port() default 2222;

    @AttributeDefinition(name = "Home directory",
            description = "Where ssh/ (host key, authorized_keys) lives; empty means $MSB_HOME, the msb.home property, "
                    + "or ~/.msb.")
    String home() default "";

    @AttributeDefinition(name = "Host key file",
            description = "The server's private host key, generated on first start (owner-only). Empty: "
                    + "<home>/ssh/host_key.")
    String hostKeyFile() default "";

    @AttributeDefinition(name = "Connections",
            description = "SSH connections open at once; more are refused before authentication.", min = "1")
    int maxConnections() default 64;

    @AttributeDefinition(name = "Channels per connection",
            description = "Sessions (shells, commands, sftp) one connection may open at once.", min = "1")
    int maxChannelsPerConnection() default 10;

    @AttributeDefinition(name = "Idle timeout (seconds)",
            description = "A connection that sends and receives nothing this long is closed.", min = "10")
    int idleTimeoutSecs() default 1800;

    @AttributeDefinition(name = "Open files per sftp session",
            description = "Files and directories one sftp session may hold open.", min = "1")
    int maxOpenFilesPerSftpSession() default 32;
}

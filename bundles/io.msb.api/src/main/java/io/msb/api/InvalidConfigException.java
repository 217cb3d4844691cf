package io.msb.api;

/**
 * A configuration value broke a rule. The message names the field and the rule, as microsandbox words
 * it, e.g. {@code invalid config: hostname is too long: 65 bytes (max 64)}.
 */
public class InvalidConfigException extends MsbException {
    private static final long serialVersionUID = 1L;
    private final String field;
    private final String detail;

    /**
     * @param field the offending field, e.g. {@code hostname} or {@code labels}
     * @param detail what is wrong, naming the field and the rule, e.g. {@code hostname is too long: 65 bytes (max 64)}
     */
    public InvalidConfigException(String field, String detail) {
        super("invalid config: " + detail);
        this.field = field;
        this.detail = detail;
    }

    public String field() {
        return field;
    }

    /** The message without its {@code invalid config: } prefix, for callers that word their own. */
    public String detail() {
        return detail;
    }
}

package io.msb.network.internal;

/** The transport of a flow the stack asks the policy about. */
public enum Protocol {
    TCP, UDP, ICMP
}

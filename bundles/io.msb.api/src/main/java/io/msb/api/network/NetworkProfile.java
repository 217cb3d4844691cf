package io.msb.api.network;

/** microsandbox's policy building blocks: each allows one destination group (plus DNS to the host). */
public enum NetworkProfile {
    PUBLIC(Group.PUBLIC), PRIVATE(Group.PRIVATE), HOST(Group.HOST);

    private final Group group;

    NetworkProfile(Group group) {
        this.group = group;
    }

    public Group group() {
        return group;
    }
}

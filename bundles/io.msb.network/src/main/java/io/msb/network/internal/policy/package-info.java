/** The policy engine: groups, first-match rules, profiles, DNS pins, live update. */
package io.msb.network.internal.policy;

/** DNS interception: every guest query parsed with dnsjava, checked, forwarded, filtered and pinned. */
package io.msb.network.internal.dns;

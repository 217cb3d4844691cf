/** The network service and the interfaces between the stack, the policy engine and DNS interception. */
package io.msb.network.internal;

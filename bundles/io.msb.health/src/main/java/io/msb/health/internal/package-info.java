/** Health checks for the platform, run by Felix Health Checks' executor and served at /system/health. */
package io.msb.health.internal;

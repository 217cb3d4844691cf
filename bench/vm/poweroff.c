/* The benchmark's /init: power the VM off at once. Boot-to-here is the floor any agent adds to. */
#include <sys/reboot.h>
#include <unistd.h>

int main(void) {
    reboot(RB_POWER_OFF);
    return 1; /* only reached if power-off failed: the kernel then panics and QEMU exits too */
}

#!/bin/sh
# The launcher's contract with libkrun (decision 1742): the real launcher binary runs against
# libkrun-recording-fake.so, a recording fake built by this build, and the exact sequence of krun_* calls and their
# arguments is compared with what a representative sandbox needs. Also: the probe's messages and exit statuses, input
# validation, and the lifetime pipe. The fake needs no KVM: the launcher's KVM check is skipped only under the
# test-only switch MSB_KRUN_TEST_ONLY_SKIP_KVM_CHECK=1.
# usage: contract.sh LAUNCHER FAKE_LIBRARY WORKDIR
set -eu
launcher=$(realpath "$1") fake=$(realpath "$2") work=$3
rm -rf "$work" && mkdir -p "$work" && work=$(realpath "$work")
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
expect_eq() { [ "$2" = "$3" ] || { fail "$1"; printf 'expected:\n%s\nactual:\n%s\n' "$2" "$3" >&2; }; }

# --- a representative sandbox: 2 vCPUs, 512 MiB, root + upper disks, kernel, initramfs, args, env, agent, console
printf 'kernel' >"$work/vmlinux"
: >"$work/root.img"; : >"$work/upper.img"
printf '#!fake-agentd\n' >"$work/agentd"
(cd "$work" && mkdir -p base/etc && printf 'hello\n' >base/etc/hello && chmod 755 base/etc && chmod 644 base/etc/hello \
    && cd base && find etc | cpio -o -H newc --quiet >"$work/base.cpio")
printf '\241dnamedtest' >"$work/bootstrap.cbor"
record=$work/calls.log
# stdin: the lifetime pipe, held open (fd 8) for the run; at end-of-file an attached launcher ends its VM
rm -f "$work/hold" && mkfifo "$work/hold"
exec 8<>"$work/hold"
out=$(MSB_KRUN_FAKE_RECORD=$record MSB_KRUN_TEST_ONLY_SKIP_KVM_CHECK=1 "$launcher" --libkrun "$fake" \
    --cpus 2 --memory 512 --kernel "$work/vmlinux" --kernel-format elf \
    --initramfs "$work/base.cpio" --agent "$work/agentd" --bootstrap "$work/bootstrap.cbor" \
    --cmdline 'console=hvc0 reboot=k panic=-1 quiet' \
    --disk "msb-disk0,raw,ro,$work/root.img" --disk "msb-disk1,raw,rw,$work/upper.img" \
    --env TERM=linux --env MSB_SANDBOX=test \
    --agent-socket "$work/vm.sock" --console-log "$work/kernel.log" --console-cap 4096 \
    --lifetime attached <"$work/hold") || fail "representative start exited with $?"
case $out in "started "[0-9]*) ;; *) fail "stdout is not 'started <pid>': $out" ;; esac
expect_eq "call sequence" "krun_set_log_level level=1
krun_create_ctx -> 7
krun_set_vm_config ctx=7 vcpus=2 ram_mib=512
krun_set_kernel ctx=7 kernel=$work/vmlinux format=1 initramfs=<memfd> etc:40755:0:811c9dc5 etc/hello:100644:6:f8934173 init:100755:14:6fd74fce msb:40700:0:811c9dc5 msb/bootstrap.cbor:100600:11:3461648d cmdline=console=hvc0 reboot=k panic=-1 quiet
krun_add_disk2 ctx=7 id=msb-disk0 path=$work/root.img format=0 read_only=1
krun_add_disk2 ctx=7 id=msb-disk1 path=$work/upper.img format=0 read_only=0
krun_disable_implicit_vsock ctx=7
krun_set_console_output ctx=7 path=<pipe>
krun_add_virtio_console_multiport ctx=7 -> 0
krun_add_console_port_inout ctx=7 console=0 name=agent input=<pipe> output=<pipe>
krun_set_env ctx=7 envp=[TERM=linux,MSB_SANDBOX=test]
krun_start_enter ctx=7" "$(cat "$record")"
[ ! -e "$work/bootstrap.cbor" ] || fail "the bootstrap file (secrets) was left on disk"
[ -S "$work/vm.sock" ] || fail "no agent socket at $work/vm.sock"
# the guest's last console words, written just before libkrun exits the process, reach the log
expect_eq "console log" "fake power down" "$(cat "$work/kernel.log")"

# --- no --env: an empty array, never NULL (NULL makes libkrun pass the launcher's whole environment to the guest)
rm -f "$record"
MSB_KRUN_FAKE_RECORD=$record MSB_KRUN_TEST_ONLY_SKIP_KVM_CHECK=1 "$launcher" --libkrun "$fake" --cpus 1 \
    --memory 64 --kernel "$work/vmlinux" --agent "$work/agentd" --agent-socket "$work/vm.sock" \
    --console-log "$work/kernel.log" --lifetime detached <"$work/hold" >/dev/null || fail "minimal start exited with $?"
expect_eq "empty environment" "krun_set_env ctx=7 envp=[]" "$(grep krun_set_env "$record")"

# --- libkrun refusing the configuration at krun_start_enter: status 5 and its reason, after "started"
set +e
out=$(MSB_KRUN_FAKE_RECORD=$record MSB_KRUN_FAKE_ENTER=fail MSB_KRUN_TEST_ONLY_SKIP_KVM_CHECK=1 "$launcher" \
    --libkrun "$fake" --cpus 1 --memory 64 --kernel "$work/vmlinux" --agent "$work/agentd" \
    --agent-socket "$work/vm.sock" --console-log "$work/kernel.log" --lifetime detached <"$work/hold" 2>"$work/err")
got=$?
set -e
[ "$got" = 5 ] && [ "$(cat "$work/err")" = "krun_start_enter failed: Invalid argument" ] \
    || fail "krun_start_enter failing: status $got, stderr '$(cat "$work/err")'"

# --- the probe: exit status and one line naming what is missing
probe() { # EXPECTED_STATUS EXPECTED_PREFIX [env...] -- args
    want=$1 prefix=$2; shift 2
    set +e; msg=$(env "$@" 2>&1 >/dev/null); got=$?; set -e
    [ "$got" = "$want" ] || fail "probe $*: status $got, expected $want ($msg)"
    case $msg in "$prefix"*) ;; *) fail "probe $*: message '$msg' does not start with '$prefix'" ;; esac
    [ "$(printf '%s\n' "$msg" | wc -l)" = 1 ] || fail "probe $*: more than one line: $msg"
}
probe 3 "libkrun.so.1 not found: $work/missing.so" MSB_KRUN_TEST_ONLY_SKIP_KVM_CHECK=1 "$launcher" --probe \
    --libkrun "$work/missing.so"
probe 0 "" MSB_KRUN_TEST_ONLY_SKIP_KVM_CHECK=1 "$launcher" --probe --libkrun "$fake"
if [ ! -e /dev/kvm ]; then
    probe 4 "KVM not usable: /dev/kvm: No such file or directory" "$launcher" --probe --libkrun "$fake"
    probe 3 "libkrun.so.1 not found: $work/missing.so: cannot open shared object file: No such file or directory; KVM not usable: /dev/kvm: No such file or directory" \
        "$launcher" --probe --libkrun "$work/missing.so"
else
    echo "contract: /dev/kvm exists here; the KVM-missing probe messages are not checked" >&2
fi
# A library without the entry points is named with the first one it lacks.
set +e; msg=$(MSB_KRUN_TEST_ONLY_SKIP_KVM_CHECK=1 "$launcher" --probe --libkrun libc.so.6 2>&1); got=$?; set -e
[ "$got" = 3 ] && [ "$msg" = "libc.so.6 lacks krun_set_log_level (libkrun 1.17 or later is needed)" ] \
    || fail "a library without krun_* symbols: status $got, '$msg'"

# --- validation: status 2 and a message naming the option and the rule
invalid() { # EXPECTED_PREFIX args...
    prefix=$1; shift
    set +e; msg=$(MSB_KRUN_TEST_ONLY_SKIP_KVM_CHECK=1 "$launcher" --libkrun "$fake" "$@" 2>&1 </dev/null); got=$?; set -e
    [ "$got" = 2 ] || fail "$*: status $got, expected 2"
    case $msg in *"$prefix"*) ;; *) fail "$*: '$msg' lacks '$prefix'" ;; esac
}
base="--kernel $work/vmlinux --agent $work/agentd --agent-socket $work/vm.sock --console-log $work/kernel.log --lifetime attached"
invalid "--cpus must be a number from 1 to 255, is '0'" --cpus 0 --memory 512 $base
invalid "--cpus must be a number from 1 to 255, is '256'" --cpus 256 --memory 512 $base
invalid "--memory must be a number from 64 to 1048576, is '12x'" --cpus 1 --memory 12x $base
invalid "--disk ID must be 1 to 20 characters" --cpus 1 --memory 64 --disk ",raw,ro,/x" $base
invalid "--disk msb-disk0: format must be raw or qcow2, is 'vmdk'" --cpus 1 --memory 64 --disk "msb-disk0,vmdk,ro,/x" $base
invalid "--disk PATH must be an absolute path" --cpus 1 --memory 64 --disk "msb-disk0,raw,ro,rel" $base
invalid "--env must be NAME=VALUE" --cpus 1 --memory 64 --env "=x" $base
invalid "--env NAME may hold letters, digits and '_' only" --cpus 1 --memory 64 --env "A-B=x" $base
invalid "--env A: the value holds a space" --cpus 1 --memory 64 --env "A=x y" $base
invalid "--cmdline and --env make a kernel command line of 2032 bytes, more than 2031" --cpus 1 --memory 64 \
    --cmdline "$(printf '%02028d' 0)" --env A=1 $base
invalid "--kernel-format must be raw, elf" --cpus 1 --memory 64 --kernel-format bz $base
invalid "--lifetime must be attached or detached" --cpus 1 --memory 64 $base --lifetime forever
invalid "--agent-socket is too long" --cpus 1 --memory 64 $base --agent-socket "/$(printf '%0120d' 0)"
invalid "give --initramfs or --agent" --cpus 1 --memory 64 --kernel "$work/vmlinux" --agent-socket "$work/vm.sock" \
    --console-log "$work/kernel.log" --lifetime attached

# --- lifetime: an attached VM ends when its starter's pipe closes; a detached one only before "detach"
run_echo() { # LIFETIME: starts a fake guest that runs until killed, stdin from a FIFO we hold
    rm -f "$work/life" && mkfifo "$work/life"
    MSB_KRUN_FAKE_RECORD=$record MSB_KRUN_FAKE_ENTER=echo MSB_KRUN_TEST_ONLY_SKIP_KVM_CHECK=1 "$launcher" \
        --libkrun "$fake" --cpus 1 --memory 64 --kernel "$work/vmlinux" --agent "$work/agentd" \
        --agent-socket "$work/vm.sock" --console-log "$work/kernel.log" --lifetime "$1" <"$work/life" >"$work/out" \
        2>"$work/err" &
    pid=$!
    exec 9>"$work/life"
}
run_echo attached
exec 9>&-
set +e; wait "$pid"; got=$?; set -e
[ "$got" = 7 ] || fail "attached: closing the lifetime pipe ended the launcher with $got, expected 7"
run_echo detached
echo detach >&9
exec 9>&-
sleep 0.2 # (the VM must still run after its starter left; a wrong launcher exits at once)
kill -0 "$pid" 2>/dev/null || fail "detached: the VM ended when its starter left after detach"
kill "$pid"; wait "$pid" 2>/dev/null || true

if [ "$failures" -ne 0 ]; then
    echo "contract: $failures failure(s)" >&2
    exit 1
fi
echo "contract: $launcher against the recording fake: all checks passed"

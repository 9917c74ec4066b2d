// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Process names. A child often charges its first pages between fork and exec, under its
 * parent's name; exec renames it here, for the processes the tracer has seen charge. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "lib/maps.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_sched_process_exec, struct task_struct *task, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct oomtrace_comm *name = bpf_map_lookup_elem(&task_comms, &tgid);

	if (name)
		bpf_get_current_comm(name->comm, sizeof(name->comm));
	return 0;
}

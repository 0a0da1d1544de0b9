/* What this kernel and process allow: hoop's capability probe, printed. */
#include <hoop.h>

#include <stdio.h>

int main(void)
{
	struct hoop_probe p = {.size = sizeof(struct hoop_probe)};
	int err = hoop_probe_run(&p);
	if (err < 0) {
		fprintf(stderr, "hoop_probe_run: %s\n", hoop_strerror(err));
		return 1;
	}
	printf("kernel:      %s\n", p.kernel_release);
	printf("io_uring:    %s\n", p.usable ? "usable" : p.reason);
	printf("tier:        %s\n", hoop_probe_tier_name(p.tier));
	printf("features:    %#x\n", p.features);
	printf("setup flags: %#x accepted%s\n", p.setup_flags,
	       p.sqpoll_permitted ? " (SQPOLL permitted)" : "");
	printf("opcodes:     %u of %u supported\n", p.opcode_count, p.kernel_ops);
	printf("memlock:     %s\n", p.memlock_note);
	printf("backend:     %s\n", p.auto_reason);
	return 0;
}

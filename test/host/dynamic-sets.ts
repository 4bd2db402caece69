// Sets and a map for rules to add to, declared as the tests of their
// listing after traffic (in-process and against the kernel) need them.
export const DYNAMIC_SETS = `	set seen {
		type ipv4_addr
		flags dynamic
	}

	set recent {
		type ipv4_addr . inet_service
		flags dynamic,timeout
		timeout 1m
	}

	map ports {
		type ipv4_addr : inet_service
		flags dynamic
	}
`;

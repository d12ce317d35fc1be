"""Store-side agents of rtstock: scanners, the durable offline queue, the forwarder, simulators."""

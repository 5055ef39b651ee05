"""The offline demo: a bundled corpus replayed through local feed servers in accelerated time."""

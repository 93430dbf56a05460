"""Signing releases and reports: the signer, the dev PKI, CMS interop. The formats it
writes (DSSE, manifest, index, the PKI profile) live in ``trails.formats``, which
``trails.verify`` reads; ``trails.sign`` and ``trails.verify`` never import each other."""

"""Signing releases: the PKI profile, DSSE envelopes, the signer, CMS interop and the dev PKI.

Kept empty so the agent's verification path can import ``trails.sign.dsse`` and
``trails.sign.oids`` (stdlib + cryptography only) without pulling in anything else.
"""

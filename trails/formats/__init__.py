"""The release format, one owner per wire format: the DSSE envelope (``dsse``), the
manifest (``manifest``), the signed release index (``index``), the PKI profile's OIDs and
extensions (``oids``), the signature algorithms (``algorithms``), the report signature
payload (``report_signature``) and every file name of a release (``names``).

``trails.sign`` and ``trails.verify`` both import these and never each other. Stdlib,
cryptography and ``trails.models`` only: the agent's install path loads them.
"""

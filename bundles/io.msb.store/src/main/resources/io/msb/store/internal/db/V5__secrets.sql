-- Secret values (issue 16, decision 1315): AES-256-GCM under the installation's key ($MSB_HOME/secret.key, 0600),
-- never in clear text. nonce is GCM's 12-byte IV, fresh for every write; the reference is the additional
-- authenticated data, so a ciphertext moved to another reference does not decrypt.
-- IF NOT EXISTS: a migration interrupted by a kill is re-run.

CREATE TABLE IF NOT EXISTS secrets (
    reference  VARCHAR(1024) NOT NULL PRIMARY KEY,
    nonce      VARBINARY(12) NOT NULL,
    ciphertext VARBINARY(66000) NOT NULL,
    updated_at TIMESTAMP(9) WITH TIME ZONE NOT NULL
);

-- mta4j JDBC queue, schema version 1, H2.
-- ${table} is the qualified table prefix (e.g. mail.mta_) and so is ${index}: H2 keeps an index
-- in the schema its name says. See mta-queue-jdbc/README.md to run this by hand.

-- One row per queued message: the envelope, every recipient's state (one line each, see the
-- README), the schedule and the lease. claimable_at is the later of next_attempt_at and
-- lease_expiry: the one column the due scan reads.
CREATE TABLE ${table}message (
  id              VARCHAR(255) NOT NULL PRIMARY KEY,
  reverse_path    VARCHAR(1024) NOT NULL,
  body            VARCHAR(16) NOT NULL,
  declared_size   BIGINT NOT NULL,
  smtp_utf8       BOOLEAN NOT NULL,
  ret             VARCHAR(8),
  envid           VARCHAR(1024),
  auth            VARCHAR(1024),
  recipients      CHARACTER LARGE OBJECT NOT NULL,
  arrived_at      TIMESTAMP WITH TIME ZONE NOT NULL,
  next_attempt_at TIMESTAMP WITH TIME ZONE NOT NULL,
  claimable_at    TIMESTAMP WITH TIME ZONE NOT NULL,
  attempts        INTEGER NOT NULL,
  content_size    BIGINT NOT NULL,
  chunks          INTEGER NOT NULL,
  held            BOOLEAN NOT NULL,
  lease_owner     VARCHAR(255),
  lease_expiry    TIMESTAMP WITH TIME ZONE
);

-- The due scan (claimDue, nextDue): messages not held, by claimable time.
CREATE INDEX ${index}message_due ON ${table}message (held, claimable_at, id);

-- The mailq order (list).
CREATE INDEX ${index}message_arrival ON ${table}message (arrived_at, id);

-- The content, in chunks of at most 256 KiB, so neither side holds a large message whole.
CREATE TABLE ${table}content (
  message_id VARCHAR(255) NOT NULL REFERENCES ${table}message (id) ON DELETE CASCADE,
  seq        INTEGER NOT NULL,
  chunk      VARBINARY(262144) NOT NULL,
  PRIMARY KEY (message_id, seq)
);

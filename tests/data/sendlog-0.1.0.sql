BEGIN TRANSACTION;
CREATE TABLE interviews (
            id INTEGER PRIMARY KEY,
            company TEXT NOT NULL,
            role TEXT NOT NULL,
            starts_at TEXT NOT NULL,          -- UTC, ISO 8601: part of the identity
            starts_at_local TEXT NOT NULL,    -- as written, with its offset, for display
            timezone TEXT,                    -- IANA name when the file gave one
            ends_at TEXT NOT NULL,
            follow_up_on TEXT NOT NULL,
            follow_up_with TEXT NOT NULL,
            source_path TEXT,
            done_at TEXT,
            UNIQUE (company, role, starts_at)
        );
INSERT INTO "interviews" VALUES(1,'Analytical Engines Ltd','Senior Backend Engineer','2026-11-25T19:00:00+00:00','2026-11-25T14:00:00-05:00',NULL,'2026-11-25T20:30:00+00:00','2026-12-07','grace@analytical.example','/home/ada/interviews/analytical.toml',NULL);
CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL);
INSERT INTO "migrations" VALUES('001_initial','2026-12-01T10:40:29.441228+00:00');
INSERT INTO "migrations" VALUES('002_claimed_by','2026-12-01T10:40:29.441410+00:00');
CREATE TABLE notes (
            id INTEGER PRIMARY KEY,
            interview_id INTEGER NOT NULL REFERENCES interviews (id),
            kind TEXT NOT NULL CHECK (kind IN ('thank-you', 'follow-up')),
            recipient TEXT NOT NULL,          -- case-folded address
            address TEXT NOT NULL,            -- as written
            name TEXT NOT NULL,
            title TEXT,
            subject TEXT NOT NULL,
            body TEXT NOT NULL,
            status TEXT NOT NULL
                CHECK (status IN ('sending', 'sent', 'drafted', 'failed', 'unknown')),
            via TEXT NOT NULL CHECK (via IN ('smtp', 'gmail')),
            message_id TEXT NOT NULL,
            gmail_id TEXT,
            error TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            sent_at TEXT
        , claimed_by TEXT);
INSERT INTO "notes" VALUES(1,1,'thank-you','grace@analytical.example','grace@analytical.example','Grace Hopper','Engineering Manager','Thank you for our conversation about the Senior Backend Engineer role','Dear Grace,

Thank you for taking the time to meet with me on Wednesday to discuss the Senior Backend Engineer role at Analytical Engines Ltd. I enjoyed our conversation and came away even more excited about the work your team is doing.

I especially appreciated our discussion of your plan to move billing onto an event log and replay a month of invoices. It has stayed with me since, and it is exactly the kind of problem I would love to work on.

My five years running Postgres for a payments company map closely onto what you described.

One more thing I wish I had mentioned: I also maintain an open-source library for idempotent webhooks.

If I haven''t heard back by Monday, December 7, I''ll follow up then. In the meantime, please let me know if there is anything else I can share.

Thank you again for your time.

Best regards,
Ada Lovelace
','sent','smtp','<179612162943.24464.8564698359463382091@example.com>',NULL,NULL,'2026-11-25T22:00:00+00:00','2026-11-25T22:00:00+00:00','2026-11-25T22:00:00+00:00','laptop:24464');
INSERT INTO "notes" VALUES(2,1,'thank-you','alan@analytical.example','alan@analytical.example','Alan Turing','Staff Engineer','Thank you for our conversation about the Senior Backend Engineer role','Dear Alan,

Thank you for taking the time to meet with me on Wednesday to discuss the Senior Backend Engineer role at Analytical Engines Ltd. I enjoyed our conversation and came away even more excited about the work your team is doing.

I especially appreciated our discussion of the flaky settlement tests and recording production traffic to drive them. It has stayed with me since, and it is exactly the kind of problem I would love to work on.

My five years running Postgres for a payments company map closely onto what you described.

One more thing I wish I had mentioned: I also maintain an open-source library for idempotent webhooks.

If I haven''t heard back by Monday, December 7, I''ll follow up then. In the meantime, please let me know if there is anything else I can share.

Thank you again for your time.

Best regards,
Ada Lovelace
','sent','smtp','<179612162943.24464.9978821511932698474@example.com>',NULL,NULL,'2026-11-25T22:00:00+00:00','2026-11-25T22:00:00+00:00','2026-11-25T22:00:00+00:00','laptop:24464');
INSERT INTO "notes" VALUES(3,1,'follow-up','grace@analytical.example','grace@analytical.example','Grace Hopper','Engineering Manager','Following up: Senior Backend Engineer at Analytical Engines Ltd','Dear Grace,

I hope you are well. I am writing to follow up on my interview for the Senior Backend Engineer role at Analytical Engines Ltd on Wednesday, November 25. I enjoyed our conversation about your plan to move billing onto an event log and replay a month of invoices.

I remain very interested in the role and in joining Analytical Engines Ltd. Could you share where things stand with the hiring process, and what the timeline looks like from here?

Thank you for your time, and I look forward to hearing from you.

Best regards,
Ada Lovelace
','sent','smtp','<179612162968.24465.6427198626856114385@example.com>',NULL,NULL,'2026-12-08T15:00:00+00:00','2026-12-08T15:00:00+00:00','2026-12-08T15:00:00+00:00','laptop:24465');
CREATE INDEX notes_by_note ON notes (interview_id, kind, recipient, id);
COMMIT;

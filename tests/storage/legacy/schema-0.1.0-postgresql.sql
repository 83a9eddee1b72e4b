CREATE TABLE schema_version (
	version INTEGER NOT NULL, 
	applied_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, 
	PRIMARY KEY (version)
);

CREATE TABLE subscribers (
	chat_id BIGINT NOT NULL, 
	state VARCHAR(16) NOT NULL, 
	send_minute INTEGER NOT NULL, 
	tz VARCHAR(64) NOT NULL, 
	next_due_at TIMESTAMP WITHOUT TIME ZONE, 
	cycle INTEGER NOT NULL, 
	cycle_sent TEXT NOT NULL, 
	seed INTEGER NOT NULL, 
	created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, 
	updated_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, 
	PRIMARY KEY (chat_id)
);

CREATE INDEX ix_subscribers_next_due_at ON subscribers (next_due_at);

CREATE TABLE broadcasts (
	id BIGSERIAL NOT NULL, 
	text TEXT NOT NULL, 
	created_by BIGINT NOT NULL, 
	created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, 
	recipients INTEGER NOT NULL, 
	PRIMARY KEY (id)
);

CREATE TABLE deliveries (
	id BIGSERIAL NOT NULL, 
	chat_id BIGINT NOT NULL, 
	local_date DATE, 
	broadcast_id BIGINT, 
	tip_id VARCHAR(64), 
	status VARCHAR(16) NOT NULL, 
	attempts INTEGER NOT NULL, 
	due_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, 
	expire_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, 
	claimed_by VARCHAR(64), 
	sent_at TIMESTAMP WITHOUT TIME ZONE, 
	message_id BIGINT, 
	error VARCHAR(200), 
	PRIMARY KEY (id), 
	CONSTRAINT uq_deliveries_chat_date UNIQUE (chat_id, local_date), 
	CONSTRAINT uq_deliveries_chat_broadcast UNIQUE (chat_id, broadcast_id)
);

CREATE INDEX ix_deliveries_status_due ON deliveries (status, due_at);

CREATE INDEX ix_deliveries_status_expire ON deliveries (status, expire_at);

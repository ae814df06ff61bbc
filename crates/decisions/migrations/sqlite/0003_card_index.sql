-- The per-card index keys on the card token alone (as on PostgreSQL, where
-- it lets B-tree deduplication shrink the index; here it drops 8 bytes per
-- entry). The card queries look a card up by equality and order by `id`.
DROP INDEX decisions_by_card;
CREATE INDEX decisions_by_card ON decisions (card_token);

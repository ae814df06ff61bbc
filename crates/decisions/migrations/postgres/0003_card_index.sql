-- The per-card index keys on the card token alone. With `logged_at` in the
-- key every entry was distinct (162 MB for 1,000,000 decisions of 5,600
-- cards); on the token alone, B-tree deduplication keeps
-- one key per card and a list of row pointers (10 MB), and inserting
-- 1,000,000 rows into a table with that index took half as long
-- (docs/benchmarks.md, "Streaming"). The card queries (`recent` for one
-- card, erasure) look a card up by equality and order by `id`, which the
-- old key did not serve either.
DROP INDEX decisions_by_card;
CREATE INDEX decisions_by_card ON decisions (card_token);

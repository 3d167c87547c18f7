"""Interned index keys, measured as bench/Wmtty.Bench/StorageFloor.cs measures the storage floor.

Measured on 2026-11-24, before migration 8 interned the resource type and parameter: it needs a database written
before that migration (the bench at commit ec5b79c).

Usage: python3 bench/experiments/interned_keys.py <data folder of a bench run with --keep>/wmtty.db [--param-only]

Copies the database to a temporary file, adds index tables that name the resource type and parameter by one small
integer (param_key) and the token system by another (system_key; with --param-only the system stays text), filled from the real ones, and then copies 512
responses' index rows again in rolled-back transactions of 32, into the real tables and into the interned ones, three
times each. Prints the time a response and both layouts' sizes. The original database is not changed.
"""
import sqlite3, sys, time, shutil, os, tempfile
src=sys.argv[1]; param_only='--param-only' in sys.argv[2:]; db=os.path.join(tempfile.gettempdir(), 'wmtty-interned-keys.db')
for x in ('','-wal','-shm'):
    if os.path.exists(db+x): os.remove(db+x)
s=sqlite3.connect(src); s.execute("pragma wal_checkpoint(TRUNCATE)"); s.close()
shutil.copy(src, db)
c=sqlite3.connect(db, isolation_level=None)
c.execute("pragma journal_mode=wal"); c.execute("pragma cache_size=-16384"); c.execute("pragma temp_store=memory")
t=time.time()
c.executescript("""
BEGIN;
CREATE TABLE param_key (pkey INTEGER PRIMARY KEY, resource_type TEXT NOT NULL, param TEXT NOT NULL, UNIQUE (resource_type, param));
INSERT INTO param_key (resource_type, param) SELECT DISTINCT resource_type, param FROM token_index UNION SELECT DISTINCT resource_type, param FROM reference_index UNION SELECT DISTINCT resource_type, param FROM date_index;
CREATE TABLE system_key (skey INTEGER PRIMARY KEY, system TEXT NOT NULL UNIQUE);
INSERT INTO system_key (system) SELECT DISTINCT system FROM token_index WHERE system IS NOT NULL;
CREATE TABLE token2 (resource_key INTEGER NOT NULL, pkey INTEGER NOT NULL, skey NULL, code TEXT NOT NULL);
INSERT INTO token2 SELECT t.resource_key, p.pkey, """+("t.system" if param_only else "s.skey")+""", t.code FROM token_index t JOIN param_key p USING (resource_type, param) LEFT JOIN system_key s ON s.system = t.system ORDER BY t.rowid;
CREATE INDEX ix_token2_lookup ON token2 (pkey, code, skey, resource_key);
CREATE INDEX ix_token2_system ON token2 (pkey, skey, resource_key);
CREATE INDEX ix_token2_resource ON token2 (resource_key);
CREATE TABLE ref2 (resource_key INTEGER NOT NULL, pkey INTEGER NOT NULL, target_type TEXT NULL, target_id TEXT NULL, identifier_system TEXT NULL, identifier_value TEXT NULL);
INSERT INTO ref2 SELECT x.resource_key, p.pkey, x.target_type, x.target_id, x.identifier_system, x.identifier_value FROM reference_index x JOIN param_key p USING (resource_type, param) ORDER BY x.rowid;
CREATE INDEX ix_ref2_target ON ref2 (pkey, target_id, target_type, resource_key);
CREATE INDEX ix_ref2_identifier ON ref2 (pkey, identifier_value, identifier_system, resource_key);
CREATE INDEX ix_ref2_resource ON ref2 (resource_key);
CREATE TABLE date2 (resource_key INTEGER NOT NULL, pkey INTEGER NOT NULL, low INTEGER NOT NULL, high INTEGER NOT NULL);
INSERT INTO date2 SELECT d.resource_key, p.pkey, d.low, d.high FROM date_index d JOIN param_key p USING (resource_type, param) ORDER BY d.rowid;
CREATE INDEX ix_date2_low ON date2 (pkey, low, high, resource_key);
CREATE INDEX ix_date2_high ON date2 (pkey, high, resource_key);
CREATE INDEX ix_date2_resource ON date2 (resource_key);
COMMIT;
""")
print("built in %.0f s"%(time.time()-t))
N=512; PER=32
c.executescript(f"""
CREATE TEMP TABLE fresp AS SELECT resource_key AS response_key, resource_id AS response_id, row_number() OVER (ORDER BY resource_key)-1 AS n
  FROM (SELECT resource_key, resource_id FROM resource WHERE resource_type='QuestionnaireResponse' AND is_current=1 ORDER BY random() LIMIT {N});
CREATE TEMP TABLE fkey AS SELECT response_key AS old_key, n/{PER} AS chunk FROM fresp
  UNION ALL SELECT o.resource_key, f.n/{PER} FROM fresp f JOIN reference_index x ON x.resource_type='Observation' AND x.param='derived-from' AND x.target_id=f.response_id AND x.target_type='QuestionnaireResponse' JOIN resource o ON o.resource_key=x.resource_key AND o.is_current=1;
""")
nxt=c.execute("SELECT MAX(resource_key) FROM resource").fetchone()[0]+1000000
c.executescript(f"""
CREATE TEMP TABLE fmap AS SELECT old_key, {nxt}+row_number() OVER (ORDER BY chunk, old_key) AS new_key, chunk FROM fkey;
CREATE TEMP TABLE ft AS SELECT m.new_key AS resource_key, t.resource_type, t.param, t.system, t.code, m.chunk FROM fmap m JOIN token_index t ON t.resource_key=m.old_key;
CREATE TEMP TABLE fx AS SELECT m.new_key AS resource_key, x.resource_type, x.param, x.target_type, x.target_id, x.identifier_system, x.identifier_value, m.chunk FROM fmap m JOIN reference_index x ON x.resource_key=m.old_key;
CREATE TEMP TABLE fd AS SELECT m.new_key AS resource_key, d.resource_type, d.param, d.low, d.high, m.chunk FROM fmap m JOIN date_index d ON d.resource_key=m.old_key;
CREATE TEMP TABLE ft2 AS SELECT m.new_key AS resource_key, t.pkey, t.skey, t.code, m.chunk FROM fmap m JOIN token2 t ON t.resource_key=m.old_key;
CREATE TEMP TABLE fx2 AS SELECT m.new_key AS resource_key, x.pkey, x.target_type, x.target_id, x.identifier_system, x.identifier_value, m.chunk FROM fmap m JOIN ref2 x ON x.resource_key=m.old_key;
CREATE TEMP TABLE fd2 AS SELECT m.new_key AS resource_key, d.pkey, d.low, d.high, m.chunk FROM fmap m JOIN date2 d ON d.resource_key=m.old_key;
""")
chunks=c.execute("SELECT MAX(chunk)+1 FROM fmap").fetchone()[0]
TEXT=["INSERT INTO token_index (resource_key,resource_type,param,system,code) SELECT resource_key,resource_type,param,system,code FROM ft WHERE chunk=? ORDER BY resource_key",
 "INSERT INTO reference_index (resource_key,resource_type,param,target_type,target_id,identifier_system,identifier_value) SELECT resource_key,resource_type,param,target_type,target_id,identifier_system,identifier_value FROM fx WHERE chunk=? ORDER BY resource_key",
 "INSERT INTO date_index (resource_key,resource_type,param,low,high) SELECT resource_key,resource_type,param,low,high FROM fd WHERE chunk=? ORDER BY resource_key"]
INT=["INSERT INTO token2 SELECT resource_key,pkey,skey,code FROM ft2 WHERE chunk=? ORDER BY resource_key",
 "INSERT INTO ref2 SELECT resource_key,pkey,target_type,target_id,identifier_system,identifier_value FROM fx2 WHERE chunk=? ORDER BY resource_key",
 "INSERT INTO date2 SELECT resource_key,pkey,low,high FROM fd2 WHERE chunk=? ORDER BY resource_key"]
def run(stmts):
    el=0
    for ch in range(chunks):
        c.execute("BEGIN IMMEDIATE"); t=time.perf_counter()
        for q in stmts: c.execute(q,(ch,))
        el+=time.perf_counter()-t; c.execute("ROLLBACK")
    return el/N*1000
run(TEXT); run(INT)
for i in range(3): print(f"index rows: text keys {run(TEXT):.3f} ms, interned keys {run(INT):.3f} ms a response")
sz=dict(c.execute("select name, sum(pgsize) from dbstat where name in ('token_index','ix_token_lookup','ix_token_system','ix_token_resource','reference_index','ix_reference_target','ix_reference_identifier','ix_reference_resource','date_index','ix_date_low','ix_date_high','ix_date_resource','token2','ix_token2_lookup','ix_token2_system','ix_token2_resource','ref2','ix_ref2_target','ix_ref2_identifier','ix_ref2_resource','date2','ix_date2_low','ix_date2_high','ix_date2_resource') group by name").fetchall())
text=sum(v for k,v in sz.items() if '2' not in k); intern=sum(v for k,v in sz.items() if '2' in k)
print(f"index tables: text keys {text/1e6:.0f} MB, interned {intern/1e6:.0f} MB")
c.close()
for x in ('','-wal','-shm'):
    if os.path.exists(db+x): os.remove(db+x)

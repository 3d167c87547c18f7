"""One reference row where Observation's and QuestionnaireResponse's `subject` and `patient` say the same, measured
as bench/Wmtty.Bench/StorageFloor.cs measures the storage floor.

Measured on 2026-11-24, before migration 8 interned the resource type and parameter: it needs a database written
before that migration (the bench at commit ec5b79c).

Usage: python3 bench/experiments/one_reference_row.py <data folder of a bench run with --keep>/wmtty.db

Copies 512 responses' resource and index rows again in rolled-back transactions of 32, with and without their `patient`
reference rows, three times each, and prints the time a response. The database is left as it was.
"""
import sqlite3, sys, time
db=sys.argv[1]; N=512; PER=32
c=sqlite3.connect(db, isolation_level=None)
c.execute("pragma cache_size=-16384"); c.execute("pragma temp_store=memory")
c.executescript(f"""
CREATE TEMP TABLE floor_response AS SELECT resource_key AS response_key, resource_id AS response_id, row_number() OVER (ORDER BY resource_key) - 1 AS n
  FROM (SELECT resource_key, resource_id FROM resource WHERE resource_type='QuestionnaireResponse' AND is_current=1 AND is_deleted=0 ORDER BY random() LIMIT {N});
CREATE TEMP TABLE floor_key AS SELECT response_key AS old_key, n/{PER} AS chunk FROM floor_response
  UNION ALL SELECT o.resource_key, f.n/{PER} FROM floor_response f JOIN reference_index x ON x.resource_type='Observation' AND x.param='derived-from' AND x.target_id=f.response_id AND x.target_type='QuestionnaireResponse'
  JOIN resource o ON o.resource_key=x.resource_key AND o.is_current=1;
""")
nxt=c.execute("SELECT MAX(resource_key) FROM resource").fetchone()[0]+1000000
c.executescript(f"""
CREATE TEMP TABLE floor_map AS SELECT old_key, {nxt}+row_number() OVER (ORDER BY chunk, old_key) AS new_key, chunk FROM floor_key;
CREATE TEMP TABLE fr AS SELECT m.new_key AS resource_key, r.resource_type, r.resource_id||'~f' AS resource_id, r.version, r.is_current, r.is_deleted, r.last_updated, m.new_key AS origin_key, r.request_method, r.response_status, r.json, r.compartment, m.chunk FROM floor_map m JOIN resource r ON r.resource_key=m.old_key;
CREATE TEMP TABLE ft AS SELECT m.new_key AS resource_key, t.resource_type, t.param, t.system, t.code, m.chunk FROM floor_map m JOIN token_index t ON t.resource_key=m.old_key;
CREATE TEMP TABLE fx AS SELECT m.new_key AS resource_key, x.resource_type, x.param, x.target_type, x.target_id, x.identifier_system, x.identifier_value, m.chunk FROM floor_map m JOIN reference_index x ON x.resource_key=m.old_key;
CREATE TEMP TABLE fd AS SELECT m.new_key AS resource_key, d.resource_type, d.param, d.low, d.high, m.chunk FROM floor_map m JOIN date_index d ON d.resource_key=m.old_key;
""")
chunks=c.execute("SELECT MAX(chunk)+1 FROM floor_map").fetchone()[0]
def run(nopatient):
    refsql="INSERT INTO reference_index (resource_key,resource_type,param,target_type,target_id,identifier_system,identifier_value) SELECT resource_key,resource_type,param,target_type,target_id,identifier_system,identifier_value FROM fx WHERE chunk=? "+("AND param<>'patient' " if nopatient else "")+"ORDER BY resource_key"
    stmts=["INSERT INTO resource (resource_key,resource_type,resource_id,version,is_current,is_deleted,last_updated,origin_key,request_method,response_status,json,compartment) SELECT resource_key,resource_type,resource_id,version,is_current,is_deleted,last_updated,origin_key,request_method,response_status,json,compartment FROM fr WHERE chunk=? ORDER BY resource_key",
           "INSERT INTO token_index (resource_key,resource_type,param,system,code) SELECT resource_key,resource_type,param,system,code FROM ft WHERE chunk=? ORDER BY resource_key",
           refsql,
           "INSERT INTO date_index (resource_key,resource_type,param,low,high) SELECT resource_key,resource_type,param,low,high FROM fd WHERE chunk=? ORDER BY resource_key"]
    el=0
    for ch in range(chunks):
        c.execute("BEGIN IMMEDIATE"); t=time.perf_counter()
        for s in stmts: c.execute(s,(ch,))
        el+=time.perf_counter()-t; c.execute("ROLLBACK")
    return el/N*1000
run(False)
for i in range(3):
    print(f"with patient rows {run(False):.3f} ms, without {run(True):.3f} ms a response (resource + index rows)")

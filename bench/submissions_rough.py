#!/usr/bin/env python3
"""Rough submission and $lastn throughput, against a running Wmtty in Development (a first look, not
issue 7's benchmark). Start the service with the rate limit off, then run this:

  ASPNETCORE_ENVIRONMENT=Development RateLimiting__PermitsPerMinute=0 Logging__LogLevel__Default=Warning \
    Storage__DataDirectory=/tmp/wmtty-bench ASPNETCORE_URLS=http://localhost:5190 \
    dotnet src/Wmtty.Api/bin/Debug/net10.0/Wmtty.Api.dll &
  python3 bench/submissions_rough.py 400

It creates N patients, submits one completed What Matters response for each from 8 threads, then asks
$lastn 800 times. Client and server share the machine, so compare figures from the same run only.
"""
import json, urllib.request, time, threading, sys
B="http://localhost:5190"
tok=json.load(urllib.request.urlopen(B+"/dev/token?role=clinician"))["access_token"]
H={"Authorization":"Bearer "+tok,"Content-Type":"application/fhir+json"}
def post(path, body):
    r=urllib.request.Request(B+path, data=json.dumps(body).encode(), headers=H, method="POST")
    with urllib.request.urlopen(r) as resp: return json.load(resp)
def nhs(i):
    while True:
        body="9%08d"%i
        s=sum(int(d)*(10-k) for k,d in enumerate(body)); c=11-s%11
        if c==11: c=0
        if c!=10: return body+str(c)
        i+=1
N=int(sys.argv[1]) if len(sys.argv)>1 else 200
pids=[]; used=set(); i=1000
for _ in range(N):
    n=nhs(i); i=int(n[1:9])+1
    pids.append(post("/fhir/Patient",{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":n}]})["id"])
S="https://wmtty.example.org/fhir/CodeSystem/wmtty-preferences"
def qr(p): return {"resourceType":"QuestionnaireResponse","questionnaire":"https://wmtty.example.org/fhir/Questionnaire/what-matters-to-you|1.0.0","status":"completed","authored":"2026-11-20T10:00:00Z","subject":{"reference":"Patient/"+p},
 "item":[{"linkId":"language-communication","item":[{"linkId":"preferred-language","answer":[{"valueCoding":{"system":"urn:ietf:bcp:47","code":"pl"}}]},{"linkId":"interpreter-needed","answer":[{"valueBoolean":True}]},{"linkId":"interpreter-language","answer":[{"valueCoding":{"system":"http://snomed.info/sct","code":"203901000000102"}}]},{"linkId":"contact-method","answer":[{"valueCoding":{"system":"https://fhir.hl7.org.uk/CodeSystem/UKCore-PreferredContactMethod","code":"3"}},{"valueCoding":{"system":"https://fhir.hl7.org.uk/CodeSystem/UKCore-PreferredContactMethod","code":"9"}}]},{"linkId":"written-format","answer":[{"valueCoding":{"system":"https://fhir.hl7.org.uk/CodeSystem/UKCore-PreferredWrittenCommunicationFormat","code":"11"}}]}]},
 {"linkId":"beliefs-culture","item":[{"linkId":"religion","answer":[{"valueCoding":{"system":S,"code":"christian"}}]},{"linkId":"diet","answer":[{"valueCoding":{"system":"http://terminology.hl7.org/CodeSystem/diet","code":"vegetarian"}}]}]},
 {"linkId":"care-preferences","item":[{"linkId":"clinician-gender","answer":[{"valueCoding":{"system":"http://snomed.info/sct","code":"314434008"}}]},{"linkId":"chaperone","answer":[{"valueBoolean":True}]},{"linkId":"who-to-involve","answer":[{"valueCoding":{"system":S,"code":"family-present"}}]}]},
 {"linkId":"what-matters","item":[{"linkId":"what-matters-most","answer":[{"valueString":"Rozmowa po polsku"}]}]}]}
post("/fhir/QuestionnaireResponse", qr(pids[0]))  # warm
work=list(pids[1:]); lock=threading.Lock(); errs=[0]
def worker():
    while True:
        with lock:
            if not work: return
            p=work.pop()
        try: post("/fhir/QuestionnaireResponse", qr(p))
        except Exception as e: errs[0]+=1
t=time.time(); th=[threading.Thread(target=worker) for _ in range(8)]; [x.start() for x in th]; [x.join() for x in th]
d=time.time()-t; print(f"{N-1} submissions in {d:.2f}s = {(N-1)/d:.0f}/s, errors {errs[0]}")
# lastn reads
t=time.time(); cnt=0
def reader(k):
    global cnt
    for j in range(100):
        r=urllib.request.Request(B+"/fhir/Observation/$lastn?patient="+pids[(k*100+j)%len(pids)], headers=H)
        urllib.request.urlopen(r).read()
th=[threading.Thread(target=reader,args=(k,)) for k in range(8)]; [x.start() for x in th]; [x.join() for x in th]
d=time.time()-t; print(f"800 $lastn in {d:.2f}s = {800/d:.0f}/s (python client, 8 threads)")

/*
 * claim_protocol.pml: the claim / lease / fencing protocol of the idempotency store for ONE
 * idempotency key, checked exhaustively by spin. Run it with Tests/Model/check.sh; what it
 * assumes is in Tests/Model/README.md.
 *
 * Property: at most one send of the key reaches the provider. assert(landed <= 1) runs at the
 * moment a send lands, whatever the interleaving, message delays, clock skew, crashes, lost
 * store answers, lost requests and ambiguous provider answers.
 *
 * What maps to what:
 *   store       globals st / cur / lu / in_doubt: the idempotency_records row. Every store step
 *               below is one `atomic`, just as every write is ONE SQL statement of
 *               IdempotencyTable (claim / recordAttempt / extendLease / recordNoEffect /
 *               complete) whose WHERE clause decides and writes at once.
 *   Holder      one delivery of the command going through CommandProcessor.process: the
 *               ClaimLoop, CommandExecution (Reconciler's ask and settle, the attempt loop)
 *               and its complete(). The two holders are two deliveries of the same
 *               key, possibly in the same process (FENCING=0 gives them one owner string).
 *   Environment the store's clock (ticks), the network to the provider (a request reaches the
 *               provider, is refused there or is lost, within MAXFLIGHT ticks) and crashes.
 *
 * Time has no horizon. Every clock quantity is kept RELATIVE to the store's current tick and
 * saturates where it stops making a difference, so a state does not depend on what time it is
 * and the state space stays finite however long the run goes:
 *   lu      the lease end minus the store's now, plus 1 (0 means expired for any reader);
 *   el[i]   holder i's monotonic clock since it issued its last recordAttempt, plus 1
 *           (0 means "not timing");
 *   sl[i]   ticks of holder i's settle sleep still to go;
 *   fl[i]   ticks until holder i's request on the wire has certainly landed or been lost.
 *
 * The fence is kept as `cur`: which holder presents the record's current fencing token. A
 * grant (claim, takeover) makes the claimer `cur`, and a stale token never becomes current
 * again because the fence only grows, so "token == fence" is exactly "cur == me". A grant
 * whose answer was lost makes nobody `cur` (the token exists, no live holder knows it).
 *
 * Variants (spin -D...):
 *   FENCING=1     each write of a holder presents its fencing token (Lease.token).
 *   FENCING=0     each write presents the owner string, and both holders are in one process
 *                 (same owner): the code before fencing.
 *   STORE_CLOCK=1 lease expiry and renewal are computed by the store when it applies the
 *                 statement (StoreClock: statement_timestamp() / 'now').
 *   STORE_CLOCK=0 the holders' skewed wall clocks decide: a claim carries the claimer's "now"
 *                 and every write a lease end computed by the writer (ClaimRequest.now and
 *                 `leaseUntil: Date() + leaseDuration` before StoreClock). The clock is read
 *                 when the store applies the request; an earlier reading (a request in transit)
 *                 could only make this variant worse, and skew alone already breaks it.
 *   NOEFFECT=1    recordNoEffect (clears in_doubt) after a definite refusal and after the
 *                 not-found that follows a settle. 0: never. 2: already after the FIRST
 *                 not-found (unsafe: the request may still be on its way).
 *   TAKEOVER_SETTLE=1  a takeover of an in-doubt record that reconciles "not found" settles and
 *                 asks again before sending. 0: it sends after one not-found.
 *   GATE_FROM_ISSUE=1  the send gate counts the lease from before recordAttempt was issued.
 *                 0: from when its answer arrived (unsafe: the answer may come late).
 *   WITNESS=n     non-vacuity: asserts that path n never happens, so spin MUST find it:
 *                 1 a takeover finds the earlier send by reconciling and sends nothing;
 *                 2 a re-send after reconcile + settle + reconcile;
 *                 3 a stale holder's recordAttempt is refused.
 */

#ifndef FENCING
#define FENCING 1
#endif
#ifndef STORE_CLOCK
#define STORE_CLOCK 1
#endif
#ifndef NOEFFECT
#define NOEFFECT 1
#endif
#ifndef TAKEOVER_SETTLE
#define TAKEOVER_SETTLE 1
#endif
#ifndef GATE_FROM_ISSUE
#define GATE_FROM_ISSUE 1
#endif
#ifndef WITNESS
#define WITNESS 0
#endif

/* ---- Time, in ticks of the store's clock ------------------------------------------------ */
#ifndef LEASE
#define LEASE     3   /* Settings.leaseDuration                                              */
#endif
#ifndef MAXFLIGHT
#define MAXFLIGHT 1   /* ASSUMPTION: a request handed to the network lands at the provider   */
#endif                /* or is lost for good within MAXFLIGHT ticks                          */
#ifndef ATTEMPT
#define ATTEMPT   1   /* CouponProviderClient.worstCaseAttempt; ASSUMED >= MAXFLIGHT          */
#endif
#ifndef SETTLE
#define SETTLE    2   /* Settings.ambiguousSettle; ASSUMED > MAXFLIGHT                         */
#endif
#ifndef SKEWMAX
#define SKEWMAX   4   /* a holder's wall clock reads the store's clock + 0..SKEWMAX (> LEASE)   */
#endif

/* ---- The store: the one idempotency_records row ----------------------------------------- */
#define NONE    0     /* no record                                                            */
#define INPROG  1     /* state = 'in_progress'                                                */
#define FINAL   2     /* state = 'final'                                                      */
#define NOBODY  2     /* cur: no live holder presents the current token                       */

byte st = NONE;
byte cur = NOBODY;    /* FENCING: whose token is the record's fence                           */
byte lu;              /* lease_until - now + 1, saturating at 0 (see above)                   */
bool in_doubt;        /* an attempt was counted that may have reached the provider            */

/* ---- The provider and the network ------------------------------------------------------- */
#define IDLE      0
#define FLYING    1   /* on its way, its holder waiting for the answer                        */
#define ABANDONED 2   /* on its way, its holder stopped waiting (timeout / reset)             */
#define LANDED    3   /* reached the provider, coupon issued; the answer is on its way        */
#define REFUSED   4   /* reached the provider, refused for good (no effect); answer on its way */

byte landed;          /* sends that reached the provider and took effect: THE property         */
byte flight[2];       /* the one request of each holder that can be on its way                */
byte fl[2];           /* ticks until it has certainly landed or been lost                     */
byte el[2];           /* holder's monotonic time since it issued recordAttempt, + 1           */
byte sl[2];           /* holder's settle sleep, ticks to go                                   */
byte skew[2];         /* holder's wall clock minus the store's clock (constant: rate-correct)  */
bool crashed[2];

#define ON_WIRE(i) (flight[i] == FLYING || flight[i] == ABANDONED)

/* The WHERE clause of every holder write after its claim. */
#if FENCING
#define HOLDS       (st == INPROG && cur == me)     /* state = 'in_progress' AND fence = $token */
#define GRANT       cur = me
#define LOSE_GRANT  cur = NOBODY
#else
#define HOLDS       (st == INPROG)                  /* state = 'in_progress' AND lease_owner =
                                                       $owner: both holders send the same one */
#define GRANT       skip
#define LOSE_GRANT  skip
#endif

/* Lease expiry and renewal. */
#if STORE_CLOCK
#define EXPIRED       (lu == 0)                     /* lease_until < the store's now            */
#define RENEW(d)      lu = (d) + 1                  /* lease_until = the store's now + d        */
#else
#define EXPIRED       (lu <= skew[me])              /* lease_until < the claimer's wall clock   */
#define RENEW(d)      lu = skew[me] + (d) + 1       /* lease_until = the writer's wall clock + d */
#endif

#define W(n) assert(WITNESS != n)

/*
 * One delivery of the command: CommandProcessor.process -> ClaimLoop -> CommandExecution.
 *
 * Store calls: a call that never reaches the store has no effect and StoreCalls sends it again,
 * which is the holder simply acting later, so it needs no branch of its own. A call that was
 * applied and whose answer was lost is a branch ("answer lost") wherever it matters. Between any
 * two steps of a holder, any amount of time may pass and the other holder may do anything: that
 * is the delay of every request and every answer.
 */
proctype Holder(byte me)
{
    bool doubt;       /* the takeover found in_doubt set                                     */
    bool resend;      /* (WITNESS=2 only) the coming send follows a settled not-found         */

    {
    skip;             /* (a label may not open an unless block)                              */

claim:
    /* ---- IdempotencyTable.claim: ONE INSERT ... ON CONFLICT DO UPDATE ... WHERE (in progress
     *      AND lease expired) RETURNING. An in-progress record under a live lease answers
     *      .inProgress, changes nothing, and the holder sleeps and claims again: here it
     *      simply waits until one of these steps is possible.                                */
    if
    :: atomic { st == NONE ->                                          /* .claimed           */
            st = INPROG; in_doubt = false; RENEW(LEASE); GRANT; doubt = false;
            printf("H%d claims: new record, lease_until=now+%d\n", me, lu - 1) }
    :: atomic { st == INPROG && EXPIRED ->                             /* .takenOver         */
            RENEW(LEASE); GRANT; doubt = in_doubt;
            printf("H%d takes over (lease expired), lease_until=now+%d, in_doubt=%d\n", me, lu - 1, doubt) }
    :: st == FINAL -> goto done                                       /* .alreadyFinal:     */
    fi;                                                               /*  replay, no send   */
    if
    :: skip
    :: atomic { LOSE_GRANT; doubt = false;                            /* answer lost: claim */
            printf("H%d: the claim's answer is lost, claims again\n", me) }; goto claim
    fi;                                                               /*  again             */
    if
    :: doubt -> doubt = false; goto reconcile_takeover
    :: else -> goto attempt
    fi;

reconcile_takeover:
    /* ---- execute(tookOver: true): the earlier holder may have issued before it died.
     *      CouponProviderClient.reconcile reads the provider at one moment.                  */
    if
    :: landed > 0 -> printf("H%d reconciles: found, no send\n", me); W(1); goto complete
    :: landed == 0 -> printf("H%d reconciles: not found\n", me);
#if TAKEOVER_SETTLE
        goto settle
#else
        goto attempt
#endif
    :: goto complete                                     /* .unknowable: ends unknown, no send */
    fi;

attempt:
    /* ---- IdempotencyTable.recordAttempt: ONE UPDATE SET attempts+1, in_doubt=1, lease_until
     *      = now + lease WHERE state='in_progress' AND fence=$token. The holder reads its
     *      monotonic clock BEFORE it issues the call (el starts), the store applies it later. */
#if GATE_FROM_ISSUE
    el[me] = 1;
#endif
    if
    :: atomic { HOLDS -> in_doubt = true; RENEW(LEASE);
            printf("H%d recordAttempt accepted: in_doubt=1, lease_until=now+%d\n", me, lu - 1) }
       if
#if GATE_FROM_ISSUE
       :: skip
#else
       :: el[me] = 1                                                  /* answer arrives     */
#endif
       :: atomic { el[me] = 0;                                        /* answer lost: again */
            printf("H%d: recordAttempt's answer is lost, retries\n", me) }; goto attempt
       fi
    :: atomic { !HOLDS -> el[me] = 0;
            printf("H%d recordAttempt REFUSED (lease not ours): no send\n", me); W(3) };
       goto claim                                                     /* LeaseLost          */
    fi;
    /* ---- The send gate: the lease, counted from before recordAttempt was issued, must still
     *      cover a whole attempt (worstCaseAttempt) by the monotonic clock. The check and the
     *      request leaving are ONE step: anything the client does in between (signing, key
     *      download, retries) is part of worstCaseAttempt.                                   */
    if
    :: atomic { el[me] - 1 + ATTEMPT <= LEASE && !ON_WIRE(me) ->
            flight[me] = FLYING; fl[me] = MAXFLIGHT; el[me] = 0;
            printf("H%d SENDS the issue request\n", me);
            assert(!(WITNESS == 2 && resend)) }
    :: atomic { el[me] - 1 + ATTEMPT > LEASE -> el[me] = 0 }; goto attempt  /* renew first  */
    fi;

    /* ---- client.execute(command): the answer, or an ambiguous failure at any moment.
     *      Meanwhile the holder may heartbeat (extendLease); a refused heartbeat is LeaseLost. */
    do
    :: atomic { flight[me] == LANDED -> flight[me] = IDLE;                       /* issued    */
            printf("H%d gets the answer: issued\n", me) }; goto complete
    :: atomic { flight[me] == REFUSED -> flight[me] = IDLE;                      /* definite  */
            printf("H%d is refused by the provider (no effect)\n", me) };
#if NOEFFECT >= 1                                                                /* refusal   */
        goto no_effect
#else
        goto attempt
#endif
    :: atomic { flight[me] = (flight[me] == FLYING -> ABANDONED : IDLE);        /* timeout / */
            printf("H%d gets no answer (timeout): outcome unknown\n", me) };       /* reset     */
        goto reconcile
    :: atomic { HOLDS -> RENEW(LEASE);                  /* heartbeat: ok (or answer lost)     */
            printf("H%d heartbeat: lease_until=now+%d\n", me, lu - 1) }
    :: atomic { !HOLDS -> flight[me] = (flight[me] == FLYING -> ABANDONED : IDLE);
            printf("H%d heartbeat refused\n", me) };
        goto claim                                      /* heartbeat refused: LeaseLost       */
    od;

reconcile:
    /* ---- after an ambiguous failure: reconcile ------------------------------------------- */
    if
    :: landed > 0 -> printf("H%d reconciles: found\n", me); goto complete   /* .found      */
    :: landed == 0 -> printf("H%d reconciles: not found\n", me);             /* .notFound   */
#if NOEFFECT == 2
        if                                                            /* recordNoEffect     */
        :: atomic { HOLDS -> in_doubt = false; printf("H%d recordNoEffect: in_doubt=0\n", me) }
        :: skip
        fi;
#endif
        goto settle
    :: goto complete                                                  /* .unknowable        */
    fi;

settle:
    /* ---- settle(): IdempotencyTable.extendLease(lease, for: ambiguousSettle + leaseDuration)
     *      (ONE UPDATE ... WHERE fence=$token), then sleep ambiguousSettle, then reconcile. */
    if
    :: atomic { HOLDS -> RENEW(SETTLE + LEASE);
            printf("H%d extendLease for the settle: lease_until=now+%d\n", me, lu - 1) }
       if
       :: skip
       :: printf("H%d: extendLease's answer is lost, retries\n", me); goto settle
       fi
    :: atomic { !HOLDS -> printf("H%d extendLease refused\n", me) }; goto claim
    fi;
    sl[me] = SETTLE;
    sl[me] == 0;                                                      /* Task.sleep(settle) */
    if
    :: landed > 0 -> printf("H%d reconciles after the settle: found, no send\n", me);
        goto complete
    :: landed == 0 -> printf("H%d reconciles after the settle: not found\n", me);
        resend = (WITNESS == 2);
#if NOEFFECT == 1
        goto no_effect
#else
        goto attempt
#endif
    :: goto complete                                                  /* .unknowable        */
    fi;

no_effect:
    /* ---- IdempotencyTable.recordNoEffect: UPDATE SET in_doubt = 0 WHERE fence=$token.
     *      Refused or lost: nothing changes; the next recordAttempt decides.               */
    if
    :: atomic { HOLDS -> in_doubt = false; printf("H%d recordNoEffect: in_doubt=0\n", me) }
    :: skip
    fi;
    goto attempt;

complete:
    /* ---- IdempotencyTable.complete: UPDATE SET state='final' WHERE fence=$token. Refused:
     *      someone else holds or finished it; no further send either way.                   */
    if
    :: atomic { HOLDS -> st = FINAL; lu = 0; printf("H%d completes: final\n", me) };
       if
       :: skip
       :: printf("H%d: complete's answer is lost, retries\n", me); goto complete
       fi
    :: atomic { !HOLDS -> printf("H%d complete refused\n", me) }
    fi;
done:
    skip
    } unless {
        atomic { crashed[me] -> el[me] = 0; sl[me] = 0; printf("H%d crashes\n", me) }
    }
}

/* A request on its way lands (issues the coupon), is refused by the provider (no effect), or is
 * lost, by its deadline; a crashed or impatient holder's request still travels. Only a holder
 * still waiting (FLYING) gets to see the answer. */
#define NETWORK(i) \
    :: atomic { ON_WIRE(i) -> \
            landed++; printf("   H%d's request reaches the provider: landed=%d\n", i, landed); \
            flight[i] = (flight[i] == FLYING -> LANDED : IDLE); fl[i] = 0; \
            assert(landed <= 1) } \
    :: atomic { flight[i] == FLYING -> flight[i] = REFUSED; fl[i] = 0 } \
    :: atomic { ON_WIRE(i) -> flight[i] = IDLE; fl[i] = 0 }

/* One tick of the store's clock for holder i's counters. */
#define TICK(i) \
    if :: ON_WIRE(i) -> fl[i]-- :: else fi; \
    if :: el[i] > 0 && el[i] - 1 + ATTEMPT <= LEASE -> el[i]++ :: else fi; \
    if :: sl[i] > 0 -> sl[i]-- :: else fi

active proctype Environment()
{
    byte s;
    /* arbitrary, constant skew of each holder's wall clock */
    atomic {
        select(s : 0 .. SKEWMAX); skew[0] = s;
        select(s : 0 .. SKEWMAX); skew[1] = s; s = 0;
        run Holder(0); run Holder(1);
#if STORE_CLOCK
        printf("wall clocks: H0 = store + %d, H1 = store + %d (unused by the protocol)\n", skew[0], skew[1])
#else
        printf("wall clocks: H0 = store + %d, H1 = store + %d (leases are written and judged by them)\n",
               skew[0], skew[1])
#endif
    }
end:
    do
    /* a tick, unless a request's deadline would pass before it landed or was lost */
    :: atomic { (!ON_WIRE(0) || fl[0] > 0) && (!ON_WIRE(1) || fl[1] > 0) ->
            if :: lu > 0 -> lu-- :: else fi;
            TICK(0); TICK(1); printf("TICK\n") }   /* check.sh numbers the ticks */
    NETWORK(0)
    NETWORK(1)
    /* a holder may crash at any step */
    :: atomic { !crashed[0] -> crashed[0] = true }
    :: atomic { !crashed[1] -> crashed[1] = true }
    od
}

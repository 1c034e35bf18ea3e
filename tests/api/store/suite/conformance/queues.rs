//! The queues several nodes share: back-channel notices and mails are claimed before they are
//! sent, each by one claimer, and stay claimed until their lease ends.

use super::{NOW, add_client, race};
use latchkey::store::mail_queue::{self, NewMail};
use latchkey::store::{Store, backchannel};

/// Claim every due notice (except `busy` clients') until `until`, as `notify` does.
fn claim_outbox(store: &Store, now: i64, until: i64) -> Vec<i64> {
    store
        .write(|c| {
            let ids: Vec<i64> = backchannel::claimable_outbox(c, now, &[], 50)?
                .into_iter()
                .map(|i| i.id)
                .collect();
            backchannel::lease_outbox(c, &ids, until)?;
            Ok::<_, latchkey::store::StoreError>(ids)
        })
        .unwrap()
}

pub fn claimed_outbox_items_are_not_due_again_until_their_lease_ends(store: &Store) {
    let a = add_client(store, "a", Some("h"));
    store
        .write(|c| {
            backchannel::insert_outbox(c, a.id, "sub-1", "sid-1", "logout", NOW)?;
            backchannel::insert_outbox(c, a.id, "sub-2", "sid-2", "logout", NOW)
        })
        .unwrap();
    let claimed = claim_outbox(store, NOW, NOW + 60);
    assert_eq!(claimed.len(), 2);
    assert!(
        claim_outbox(store, NOW + 59, NOW + 120).is_empty(),
        "claimed: due for nobody else"
    );
    assert!(
        store
            .read(|c| backchannel::list_due_outbox(c, NOW + 59, &[], 10))
            .unwrap()
            .is_empty()
    );
    // The claimer delivered one; its node died with the other, which is due again later.
    store
        .write(|c| backchannel::delete_outbox(c, claimed[0]))
        .unwrap();
    assert_eq!(claim_outbox(store, NOW + 60, NOW + 120), [claimed[1]]);
}

pub fn a_due_outbox_item_is_claimed_by_exactly_one_of_many_concurrent_claimers(store: &Store) {
    let a = add_client(store, "a", Some("h"));
    store
        .write(|c| backchannel::insert_outbox(c, a.id, "sub-1", "sid-1", "logout", NOW))
        .unwrap();
    let got = race(8, |_| claim_outbox(store, NOW, NOW + 60));
    assert_eq!(
        got.iter().filter(|ids| !ids.is_empty()).count(),
        1,
        "{got:?}"
    );
}

fn queue_mail(store: &Store, to: &str, now: i64) -> i64 {
    store
        .write(|c| {
            mail_queue::insert_mail(
                c,
                &NewMail {
                    kind: "invite",
                    recipient: to,
                    params: "{}",
                    link: None,
                },
                now,
            )
        })
        .unwrap()
}

pub fn due_mail_is_claimed_oldest_first_and_not_due_again_until_its_lease_ends(store: &Store) {
    let first = queue_mail(store, "a@example.com", NOW);
    let second = queue_mail(store, "b@example.com", NOW + 1);
    let claim = |now: i64| {
        store
            .write(|c| mail_queue::claim_due_mail(c, now, now + 300))
            .unwrap()
            .map(|m| m.id)
    };
    assert_eq!(claim(NOW), Some(first));
    assert_eq!(
        claim(NOW),
        None,
        "the second is not due yet, the first is claimed"
    );
    assert_eq!(claim(NOW + 1), Some(second));
    // A failed attempt reschedules the first before its lease ends.
    store
        .write(|c| mail_queue::reschedule_mail(c, first, NOW + 5, "busy"))
        .unwrap();
    assert_eq!(claim(NOW + 5), Some(first));
    assert_eq!(claim(NOW + 300), None);
    assert_eq!(
        claim(NOW + 301),
        Some(second),
        "its claimer died: due again"
    );
}

pub fn a_due_mail_is_claimed_by_exactly_one_of_many_concurrent_claimers(store: &Store) {
    queue_mail(store, "a@example.com", NOW);
    let got = race(8, |_| {
        store
            .write(|c| mail_queue::claim_due_mail(c, NOW, NOW + 300))
            .unwrap()
    });
    assert_eq!(got.iter().flatten().count(), 1);
}

//! Limits on public submissions per network and on sign-in attempts per account and network,
//! answered with 429 and a Retry-After.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// How many checks pass between two prunings of the keys seen: the state then holds at most
/// the keys still counting and this many more.
const PRUNE_EVERY: u64 = 1024;

/// At most N submissions per minute from one client network; off when N is 0.
pub struct RateLimit {
    limiter: Option<DefaultKeyedRateLimiter<IpAddr>>,
    clock: DefaultClock,
    checks: AtomicU64,
}

impl RateLimit {
    /// A limit of `per_minute` submissions per network; 0 means no limit.
    pub fn per_minute(per_minute: u32) -> Self {
        Self {
            limiter: NonZeroU32::new(per_minute).map(|n| RateLimiter::keyed(Quota::per_minute(n))),
            clock: DefaultClock::default(),
            checks: AtomicU64::new(0),
        }
    }

    /// Counts one submission; when over the limit, how long until the next is allowed.
    pub fn check(&self, client: Option<IpAddr>) -> Result<(), Duration> {
        let (Some(limiter), Some(ip)) = (&self.limiter, client) else {
            return Ok(());
        };
        if time_to_prune(&self.checks) {
            // A network whose quota has refilled is as good as unseen: forget it.
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        limiter
            .check_key(&network_of(ip))
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

/// Whether this check is one of those, every `PRUNE_EVERY`, that forget quiet keys.
fn time_to_prune(checks: &AtomicU64) -> bool {
    checks
        .fetch_add(1, Ordering::Relaxed)
        .is_multiple_of(PRUNE_EVERY)
}

/// IPv6 clients are counted per /64, like one household or office.
fn network_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

/// Sign-in attempts, counted per account and per network: a password guesser is slowed to a
/// trickle on one account, and a network that tries many accounts is slowed as a whole.
pub struct LoginLimit {
    per_account: DefaultKeyedRateLimiter<String>,
    per_network: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
    checks: std::sync::atomic::AtomicU64,
}

impl LoginLimit {
    /// `account_burst` attempts on one account, then one every 30 seconds; `network_burst`
    /// attempts from one network, then one every 2 seconds.
    pub fn new(account_burst: u32, network_burst: u32) -> Self {
        let quota = |every: Duration, burst: u32| {
            Quota::with_period(every)
                .expect("a non-zero period")
                .allow_burst(NonZeroU32::new(burst.max(1)).expect("at least one"))
        };
        Self {
            per_account: RateLimiter::keyed(quota(Duration::from_secs(30), account_burst)),
            per_network: RateLimiter::keyed(quota(Duration::from_secs(2), network_burst)),
            clock: DefaultClock::default(),
            checks: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Counts one attempt at signing in as `email` from `client`; when over either limit, how
    /// long until the next attempt is allowed.
    pub fn check(&self, email: &str, client: Option<IpAddr>) -> Result<(), Duration> {
        // Forget quiet keys now and then, so the state cannot grow without bound.
        if time_to_prune(&self.checks) {
            self.per_account.retain_recent();
            self.per_network.retain_recent();
        }
        let wait = |not_until: governor::NotUntil<_>| not_until.wait_time_from(self.clock.now());
        if let Some(ip) = client {
            self.per_network.check_key(&network_of(ip)).map_err(wait)?;
        }
        self.per_account
            .check_key(&email.trim().to_lowercase())
            .map_err(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_counts_per_network_and_zero_turns_it_off() {
        let limit = RateLimit::per_minute(2);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(limit.check(Some(a)).is_ok());
        assert!(limit.check(Some(a)).is_ok());
        assert!(limit.check(Some(a)).unwrap_err() > Duration::ZERO);
        assert!(limit.check(Some(b)).is_ok());
        let off = RateLimit::per_minute(0);
        for _ in 0..100 {
            assert!(off.check(Some(a)).is_ok());
        }
    }

    #[test]
    fn sign_in_attempts_are_limited_per_account_and_per_network() {
        let limit = LoginLimit::new(3, 5);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            assert!(limit.check("ana@example.org", Some(a)).is_ok());
        }
        assert!(limit.check("ANA@example.org ", Some(b)).is_err());
        assert!(limit.check("jose@example.org", Some(a)).is_ok());
        assert!(limit.check("maria@example.org", Some(a)).is_ok());
        assert!(limit.check("luis@example.org", Some(a)).unwrap_err() > Duration::ZERO);
    }

    #[test]
    fn networks_whose_quota_refilled_are_forgotten() {
        // 60,000 a minute refills one submission each millisecond.
        let limit = RateLimit::per_minute(60_000);
        for n in 0..PRUNE_EVERY as u32 {
            assert!(limit.check(Some(IpAddr::from(n.to_be_bytes()))).is_ok());
        }
        let remembered = |limit: &RateLimit| limit.limiter.as_ref().unwrap().len();
        assert_eq!(remembered(&limit), PRUNE_EVERY as usize);
        std::thread::sleep(Duration::from_millis(20));

        assert!(limit.check(Some("192.0.2.1".parse().unwrap())).is_ok());

        assert!(
            remembered(&limit) <= 1,
            "{} networks kept",
            remembered(&limit)
        );
    }
}

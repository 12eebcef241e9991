//! Which peers may talk to the OSC server (UI side, no thread of its own): an address or a
//! network in CIDR form (`192.168.1.20`, `192.168.1.0/24`, `fe80::/10`), as `[osc] allow` and
//! `--osc-allow` give them.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// One entry of the allow-list: a network (an address and how many leading bits must match).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerRange {
    network: IpAddr,
    prefix: u8,
}

impl PeerRange {
    /// Whether `peer` lies in this range (an IPv4 peer that reaches an IPv6 socket as
    /// `::ffff:a.b.c.d` counts as `a.b.c.d`).
    pub fn contains(&self, peer: IpAddr) -> bool {
        match (self.network, peer.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(peer)) => {
                masked(u128::from(u32::from(net)), self.prefix, 32)
                    == masked(u128::from(u32::from(peer)), self.prefix, 32)
            }
            (IpAddr::V6(net), IpAddr::V6(peer)) => {
                masked(u128::from(net), self.prefix, 128)
                    == masked(u128::from(peer), self.prefix, 128)
            }
            _ => false,
        }
    }
}

/// The top `prefix` bits of a `bits`-bit number.
fn masked(value: u128, prefix: u8, bits: u32) -> u128 {
    let keep = u32::from(prefix).min(bits);
    if keep == 0 { 0 } else { value >> (bits - keep) }
}

impl FromStr for PeerRange {
    type Err = String;

    /// Reads `ADDRESS` or `ADDRESS/BITS`; the error says what is allowed.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, bits)) => (address, Some(bits)),
            None => (text, None),
        };
        let network: IpAddr = address.trim().parse().map_err(|_| {
            format!(
                "'{text}' is not a peer: write an address (192.168.1.20, ::1) or a network \
                 (192.168.1.0/24, fe80::/10)"
            )
        })?;
        let network = network.to_canonical();
        let most = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => most,
            Some(bits) => match bits.trim().parse::<u8>() {
                Ok(bits) if bits <= most => bits,
                _ => {
                    return Err(format!(
                        "'{text}': a network's prefix is 0 to {most} bits after the slash"
                    ));
                }
            },
        };
        Ok(Self { network, prefix })
    }
}

impl fmt::Display for PeerRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let most = if self.network.is_ipv4() { 32 } else { 128 };
        if self.prefix == most {
            write!(f, "{}", self.network)
        } else {
            write!(f, "{}/{}", self.network, self.prefix)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    /// Addresses and networks of both families are read, and match exactly the peers inside
    /// them (an IPv4 peer seen through an IPv6 socket included).
    #[test]
    fn ranges_match_the_peers_inside_them() {
        let lan: PeerRange = "192.168.1.0/24".parse().unwrap();
        assert!(lan.contains(ip("192.168.1.77")));
        assert!(lan.contains(ip("::ffff:192.168.1.77")));
        assert!(!lan.contains(ip("192.168.2.1")));
        assert!(!lan.contains(ip("::1")));
        let one: PeerRange = "10.0.0.5".parse().unwrap();
        assert!(one.contains(ip("10.0.0.5")) && !one.contains(ip("10.0.0.6")));
        let all: PeerRange = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("203.0.113.9")));
        let link: PeerRange = "fe80::/10".parse().unwrap();
        assert!(link.contains(ip("fe80::1234")) && !link.contains(ip("2001:db8::1")));
        assert_eq!(lan.to_string(), "192.168.1.0/24");
        assert_eq!(one.to_string(), "10.0.0.5");
    }

    /// Bad entries are refused with a message quoting them and saying what is allowed.
    #[test]
    fn bad_entries_say_what_is_allowed() {
        let text = "192.168.1.0/33".parse::<PeerRange>().unwrap_err();
        assert!(text.contains("0 to 32 bits"), "{text}");
        let text = "studio-mac".parse::<PeerRange>().unwrap_err();
        assert!(text.contains("'studio-mac' is not a peer"), "{text}");
        assert!("::1/129".parse::<PeerRange>().is_err());
        assert!("10.0.0.0/x".parse::<PeerRange>().is_err());
    }
}

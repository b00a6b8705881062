//! User agents of attack tools.
//!
//! Scanners and exploitation tools name themselves in their default `User-Agent`, such as
//! `sqlmap/1.7.2#stable` or `Mozilla/5.00 (Nikto/2.1.6)`. A request whose `User-Agent` contains
//! one of [`ATTACK_TOOLS`], compared case-insensitively as a substring, is refused. This stops
//! the tools run with their defaults; an attacker who sets a browser's user agent passes this
//! rule and meets request validation instead.
//!
//! What is listed and why:
//! - the scanners, fuzzers and brute-forcers whose default user agent contains their name. These
//!   are sqlmap, Nikto, Nmap (`Nmap Scripting Engine`), masscan, ZGrab, Nuclei, WPScan, gobuster,
//!   DirBuster, THC-Hydra, Acunetix, Nessus, OpenVAS, w3af, skipfish, Arachni, Havij, commix,
//!   feroxbuster, Wfuzz, Jaeles, XSStrike, Netsparker, sqlninja, fimap, ZmEu and Morfeus;
//! - ffuf by its default user agent, `Fuzz Faster U Fool`, since that does not contain `ffuf`.
//!
//! What is not listed and why:
//! - OWASP ZAP and Burp Suite send an ordinary browser user agent by default, so a name
//!   entry would match nothing they send; Burp Collaborator is an interaction server whose
//!   domains show up in payloads, not in `User-Agent`.
//! - Generic HTTP clients (curl, Wget, python-requests, Go-http-client, libwww-perl) are used by
//!   scanners and by ordinary integrations and health checks alike.

/// Names of attack tools, in lowercase, matched as substrings of the lowercased `User-Agent`.
pub const ATTACK_TOOLS: &[&str] = &[
    "sqlmap",
    "nikto",
    "nmap",
    "masscan",
    "zgrab",
    "nuclei",
    "wpscan",
    "gobuster",
    "dirbuster",
    "hydra",
    "acunetix",
    "nessus",
    "openvas",
    "w3af",
    "skipfish",
    "arachni",
    "havij",
    "commix",
    "fuzz faster u fool",
    "feroxbuster",
    "wfuzz",
    "jaeles",
    "xsstrike",
    "netsparker",
    "sqlninja",
    "fimap",
    "zmeu",
    "morfeus",
];

/// Returns the attack tool named in `user_agent`, if any.
pub fn attack_tool(user_agent: &str) -> Option<&'static str> {
    let lowered = user_agent.to_ascii_lowercase();
    ATTACK_TOOLS
        .iter()
        .copied()
        .find(|tool| lowered.contains(tool))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_tool_agents_match() {
        let cases = [
            ("sqlmap/1.7.2#stable (https://sqlmap.org)", "sqlmap"),
            (
                "Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:000001)",
                "nikto",
            ),
            (
                "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)",
                "nmap",
            ),
            (
                "masscan/1.3 (https://github.com/robertdavidgraham/masscan)",
                "masscan",
            ),
            ("Mozilla/5.0 zgrab/0.x", "zgrab"),
            (
                "Nuclei - Open-source project (github.com/projectdiscovery/nuclei)",
                "nuclei",
            ),
            (
                "WPScan v3.8.22 (https://wpscan.com/wordpress-security-scanner)",
                "wpscan",
            ),
            ("gobuster/3.6", "gobuster"),
            (
                "DirBuster-1.0-RC1 (http://www.owasp.org/index.php/Category:OWASP_DirBuster_Project)",
                "dirbuster",
            ),
            ("Mozilla/4.0 (Hydra)", "hydra"),
            ("Fuzz Faster U Fool v2.1.0-dev", "fuzz faster u fool"),
            ("feroxbuster/2.10.1", "feroxbuster"),
            ("Wfuzz/3.1.0", "wfuzz"),
        ];

        for (agent, tool) in cases {
            assert_eq!(attack_tool(agent), Some(tool), "{agent}");
        }
    }

    #[test]
    fn match_ignores_case() {
        assert_eq!(attack_tool("SQLMAP"), Some("sqlmap"));
        assert_eq!(attack_tool("my-NiKtO-fork"), Some("nikto"));
    }

    #[test]
    fn browsers_and_clients_pass() {
        let agents = [
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
            "curl/8.5.0",
            "python-requests/2.31.0",
            "Go-http-client/1.1",
            "okhttp/4.12.0",
            "PostmanRuntime/7.37.0",
            "",
        ];

        for agent in agents {
            assert_eq!(attack_tool(agent), None, "{agent}");
        }
    }
}

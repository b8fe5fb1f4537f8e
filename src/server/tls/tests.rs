use super::{CERT_FLAG, KEY_FLAG, Tls, TlsError, TlsFiles, load_config};
use crate::backend::Error;
use std::path::Path;
use std::sync::Arc;

/// A self-signed certificate for localhost: (certificate PEM, key PEM).
fn pair() -> (String, String) {
    let c = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    (c.cert.pem(), c.signing_key.serialize_pem())
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn files(dir: &Path, cert: &str, key: &str) -> TlsFiles {
    TlsFiles {
        cert: write(dir, "cert.pem", cert),
        key: write(dir, "key.pem", key),
    }
}

#[test]
fn a_matching_pair_loads_and_speaks_http1_only() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = pair();
    let config = load_config(&files(dir.path(), &cert, &key)).unwrap();
    assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
}

#[test]
fn an_unreadable_file_names_its_flag_and_is_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = pair();
    let mut f = files(dir.path(), &cert, &key);
    f.cert = dir.path().join("nope.pem");
    let e = load_config(&f).unwrap_err();
    assert!(
        matches!(e, TlsError::Unreadable { flag, .. } if flag == CERT_FLAG),
        "{e:?}"
    );
    assert!(e.to_string().contains("nope.pem"), "{e}");
    let e = Error::from(e);
    assert!(
        matches!(&e, Error::Invalid { field, .. } if field == CERT_FLAG),
        "{e:?}"
    );
    assert_eq!(e.exit_code(), 2);

    let mut f = files(dir.path(), &cert, &key);
    f.key = dir.path().join("missing-key.pem");
    let e = load_config(&f).unwrap_err();
    assert_eq!(e.flag(), KEY_FLAG, "{e:?}");
}

#[test]
fn files_without_the_right_pem_section_name_their_flag() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = pair();
    // The key where the certificate should be, and the other way round.
    let e = load_config(&files(dir.path(), &key, &cert)).unwrap_err();
    assert!(
        matches!(e, TlsError::Missing { flag, what, .. } if flag == CERT_FLAG && what == "certificate"),
        "{e:?}"
    );
    let e = load_config(&files(dir.path(), &cert, &cert)).unwrap_err();
    assert!(
        matches!(e, TlsError::Missing { flag, what, .. } if flag == KEY_FLAG && what == "private key"),
        "{e:?}"
    );
    let e = load_config(&files(dir.path(), "not pem at all\n", &key)).unwrap_err();
    assert_eq!(e.flag(), CERT_FLAG, "{e:?}");
}

#[test]
fn a_key_of_another_certificate_is_rejected_on_the_key_flag() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, _) = pair();
    let (_, other_key) = pair();
    let e = load_config(&files(dir.path(), &cert, &other_key)).unwrap_err();
    assert!(matches!(e, TlsError::Rejected { .. }), "{e:?}");
    assert_eq!(e.flag(), KEY_FLAG);
    assert!(e.to_string().contains("does not fit"), "{e}");
}

#[test]
fn reload_swaps_a_good_pair_and_keeps_the_old_one_on_a_bad_pair() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = pair();
    let f = files(dir.path(), &cert, &key);
    let tls = Tls::load(f.clone()).unwrap();
    let first = tls.config();

    // A bad pair: refused, the first configuration stays.
    let (cert2, key2) = pair();
    std::fs::write(&f.key, &key2).unwrap();
    let e = tls.reload().unwrap_err();
    assert!(matches!(e, TlsError::Rejected { .. }), "{e:?}");
    assert!(Arc::ptr_eq(&first, &tls.config()));
    std::fs::remove_file(&f.cert).unwrap();
    assert!(matches!(tls.reload(), Err(TlsError::Unreadable { .. })));
    assert!(Arc::ptr_eq(&first, &tls.config()));

    // A good pair: swapped; a clone (the accept loop's) sees it too.
    let seen_by_loop = tls.clone();
    std::fs::write(&f.cert, &cert2).unwrap();
    tls.reload().unwrap();
    assert!(!Arc::ptr_eq(&first, &tls.config()));
    assert!(Arc::ptr_eq(&tls.config(), &seen_by_loop.config()));
}

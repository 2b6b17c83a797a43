//! placeholder: sshd

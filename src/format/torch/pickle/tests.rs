//! The interpreter on pickles Python's own `pickle.dumps` wrote (copied here byte for byte), on hand-assembled
//! opcode sequences, and on hostile inputs.

use super::*;

/// A Python-like rendering of a value, to compare what was read with what Python pickled.
fn show(p: &Pickle, v: Value) -> String {
    match v {
        Value::None => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Int(i) => i.to_string(),
        Value::BigInt => "<big>".into(),
        Value::Float(f) => format!("{f:?}"),
        Value::Node(id) => match p.node(id) {
            Node::Str(s) => format!("{s:?}"),
            Node::Bytes { len } => format!("<{len} bytes>"),
            Node::Tuple(items) => format!("({})", join(p, items)),
            Node::List(items) => format!("[{}]", join(p, items)),
            Node::Set(items) => format!("{{{}}}", join(p, items)),
            Node::Dict(items) => {
                let shown: Vec<String> = items
                    .iter()
                    .map(|&(k, v)| format!("{}: {}", show(p, k), show(p, v)))
                    .collect();
                format!("{{{}}}", shown.join(", "))
            }
            Node::Global(g) => {
                let g = &p.globals[*g as usize];
                format!("{}.{}", g.module, g.name)
            }
            Node::Call(c) => {
                let mut s = format!("{}{}", show(p, c.callable), show(p, c.args));
                if let Some(state) = c.state {
                    s += &format!(" state={}", show(p, state));
                }
                if !c.items.is_empty() {
                    s += &format!(" items={}", c.items.len());
                }
                if !c.appended.is_empty() {
                    s += &format!(" appended={}", c.appended.len());
                }
                s
            }
            Node::Persistent(id) => format!("persistent({})", show(p, *id)),
        },
    }
}

fn join(p: &Pickle, items: &[Value]) -> String {
    items
        .iter()
        .map(|&v| show(p, v))
        .collect::<Vec<_>>()
        .join(", ")
}

fn root(bytes: &[u8]) -> String {
    let p = read_bytes(bytes).unwrap();
    show(&p, p.root.unwrap())
}

fn fault(bytes: &[u8]) -> Fault {
    read_bytes(bytes).unwrap_err().fault
}

/// `{'a': [1, -2, 3.5, 'x', None, True], 'b': (1 << 70, b'zz'), 'c': OrderedDict([('k', 1)])}` as
/// `pickle.dumps(obj, protocol=P)` wrote it in Python 3.11, for P = 0..=5.
const SAME_OBJECT: [&[u8]; 6] = [
    b"(dp0\nVa\np1\n(lp2\nI1\naI-2\naF3.5\naVx\np3\naNaI01\nasVb\np4\n(L1180591620717411303424L\nc_codecs\nencode\np5\n(Vzz\np6\nVlatin1\np7\ntp8\nRp9\ntp10\nsVc\np11\nccollections\nOrderedDict\np12\n(tRp13\nVk\np14\nI1\nss.",
    b"}q\x00(X\x01\x00\x00\x00aq\x01]q\x02(K\x01J\xfe\xff\xff\xffG@\x0c\x00\x00\x00\x00\x00\x00X\x01\x00\x00\x00xq\x03NI01\neX\x01\x00\x00\x00bq\x04(L1180591620717411303424L\nc_codecs\nencode\nq\x05(X\x02\x00\x00\x00zzq\x06X\x06\x00\x00\x00latin1q\x07tq\x08Rq\ttq\nX\x01\x00\x00\x00cq\x0bccollections\nOrderedDict\nq\x0c)Rq\rX\x01\x00\x00\x00kq\x0eK\x01su.",
    b"\x80\x02}q\x00(X\x01\x00\x00\x00aq\x01]q\x02(K\x01J\xfe\xff\xff\xffG@\x0c\x00\x00\x00\x00\x00\x00X\x01\x00\x00\x00xq\x03N\x88eX\x01\x00\x00\x00bq\x04\x8a\t\x00\x00\x00\x00\x00\x00\x00\x00@c_codecs\nencode\nq\x05X\x02\x00\x00\x00zzq\x06X\x06\x00\x00\x00latin1q\x07\x86q\x08Rq\t\x86q\nX\x01\x00\x00\x00cq\x0bccollections\nOrderedDict\nq\x0c)Rq\rX\x01\x00\x00\x00kq\x0eK\x01su.",
    b"\x80\x03}q\x00(X\x01\x00\x00\x00aq\x01]q\x02(K\x01J\xfe\xff\xff\xffG@\x0c\x00\x00\x00\x00\x00\x00X\x01\x00\x00\x00xq\x03N\x88eX\x01\x00\x00\x00bq\x04\x8a\t\x00\x00\x00\x00\x00\x00\x00\x00@C\x02zzq\x05\x86q\x06X\x01\x00\x00\x00cq\x07ccollections\nOrderedDict\nq\x08)Rq\tX\x01\x00\x00\x00kq\nK\x01su.",
    b"\x80\x04\x95e\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x01a\x94]\x94(K\x01J\xfe\xff\xff\xffG@\x0c\x00\x00\x00\x00\x00\x00\x8c\x01x\x94N\x88e\x8c\x01b\x94\x8a\t\x00\x00\x00\x00\x00\x00\x00\x00@C\x02zz\x94\x86\x94\x8c\x01c\x94\x8c\x0bcollections\x94\x8c\x0bOrderedDict\x94\x93\x94)R\x94\x8c\x01k\x94K\x01su.",
    b"\x80\x05\x95e\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x01a\x94]\x94(K\x01J\xfe\xff\xff\xffG@\x0c\x00\x00\x00\x00\x00\x00\x8c\x01x\x94N\x88e\x8c\x01b\x94\x8a\t\x00\x00\x00\x00\x00\x00\x00\x00@C\x02zz\x94\x86\x94\x8c\x01c\x94\x8c\x0bcollections\x94\x8c\x0bOrderedDict\x94\x93\x94)R\x94\x8c\x01k\x94K\x01su.",
];

#[test]
fn every_protocol_reads_the_same_object() {
    let expected =
        "{\"a\": [1, -2, 3.5, \"x\", None, True], \"b\": (<big>, <2 bytes>), \"c\": {\"k\": 1}}";
    for (protocol, bytes) in SAME_OBJECT.iter().enumerate() {
        let p = read_bytes(bytes).unwrap();
        assert_eq!(show(&p, p.root.unwrap()), expected, "protocol {protocol}");
        assert_eq!(p.end, bytes.len() as u64);
        assert_eq!(p.protocol, if protocol >= 2 { protocol as u8 } else { 0 });
        // The constructors are named (and counted) even though they are interpreted as containers.
        let names: Vec<String> = p
            .globals
            .iter()
            .map(|g| format!("{}.{}", g.module, g.name))
            .collect();
        let mut expected_globals = vec!["collections.OrderedDict".to_string()];
        if protocol < 3 {
            expected_globals.insert(0, "_codecs.encode".into());
        }
        assert_eq!(names, expected_globals, "protocol {protocol}");
    }
}

#[test]
fn sets_and_frozensets() {
    // pickle.dumps({1, 2}, 4) and pickle.dumps(frozenset([3]), 4)
    assert_eq!(
        root(b"\x80\x04\x95\t\x00\x00\x00\x00\x00\x00\x00\x8f\x94(K\x01K\x02\x90."),
        "{1, 2}"
    );
    assert_eq!(
        root(b"\x80\x04\x95\x06\x00\x00\x00\x00\x00\x00\x00(K\x03\x91\x94."),
        "{3}"
    );
}

#[test]
fn calls_are_recorded_never_made() {
    // GLOBAL 'os system' + REDUCE: the classic payload is a Call node naming os.system.
    let p = read_bytes(b"\x80\x02cos\nsystem\nX\x04\x00\x00\x00echo\x85R.").unwrap();
    assert_eq!(show(&p, p.root.unwrap()), "os.system(\"echo\")");
    assert_eq!(
        p.globals,
        vec![GlobalUse {
            module: "os".into(),
            name: "system".into(),
            count: 1
        }]
    );
    // STACK_GLOBAL from memoised strings resolves to the same global.
    let p =
        read_bytes(b"\x80\x04\x8c\x05posix\x94\x8c\x06system\x94\x93h\x00h\x01\x93\x86.").unwrap();
    assert_eq!(show(&p, p.root.unwrap()), "(posix.system, posix.system)");
    assert_eq!(p.globals[0].count, 2);
    // NEWOBJ, then BUILD with a state, SETITEMS and APPENDS on the (unknown) object.
    let p =
        read_bytes(b"\x80\x02cm\nK\n)\x81}X\x01\x00\x00\x00aK\x01sb(K\x01K\x02u(K\x03e.").unwrap();
    assert_eq!(
        show(&p, p.root.unwrap()),
        "m.K() state={\"a\": 1} items=1 appended=1"
    );
    // INST and OBJ (protocols 0 and 1).
    assert_eq!(root(b"(I1\nimod\nCls\n."), "mod.Cls(1)");
    assert_eq!(root(b"(cmod\nCls\nK\x02o."), "mod.Cls(2)");
    // NEWOBJ_EX keeps its keyword arguments beside the positional ones.
    let p = read_bytes(b"\x80\x04cm\nK\n)}\x92.").unwrap();
    let Some(Node::Call(c)) = p.node_of(p.root.unwrap()) else {
        panic!()
    };
    assert!(c.kwargs.is_some());
    // Extension codes name the registry entry, which only the unpickling process knows.
    assert_eq!(root(b"\x80\x02\x82\x07."), "copyreg.extension 7");
}

#[test]
fn persistent_ids() {
    assert_eq!(
        root(b"\x80\x02(X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x000tQ."),
        "persistent((\"storage\", torch.FloatStorage, \"0\"))"
    );
    assert_eq!(root(b"Pkey 1\n."), "persistent(\"key 1\")");
}

#[test]
fn memo_shares_instead_of_copying() {
    // A list put in the memo, fetched twice: both refer to the same node, and APPEND through one shows in both.
    let p = read_bytes(b"\x80\x02]q\x00h\x00h\x00\x86q\x01h\x00K\x07a0.").unwrap();
    let Some(Node::Tuple(items)) = p.node_of(p.root.unwrap()) else {
        panic!()
    };
    assert_eq!(items[0], items[1]);
    assert_eq!(show(&p, p.root.unwrap()), "([7], [7])");
    // Doubling a tuple 64 times through the memo costs 64 nodes, not 2^64.
    let mut bytes = b"\x80\x02K\x01".to_vec();
    for _ in 0..64 {
        bytes.extend(b"q\x00h\x00\x86");
    }
    bytes.push(b'.');
    let p = read_bytes(&bytes).unwrap();
    assert_eq!(p.nodes.len(), 64);
    // A list holding itself is fine to build and to drop.
    let p = read_bytes(b"\x80\x02]q\x00h\x00a.").unwrap();
    assert_eq!(p.nodes.len(), 1);
    // LONG_BINPUT/LONG_BINGET, PUT/GET and MEMOIZE.
    assert_eq!(
        root(b"\x80\x02K\x05r\xff\xff\xff\xff0j\xff\xff\xff\xff."),
        "5"
    );
    assert_eq!(root(b"I5\np12\n0g12\n."), "5");
    assert_eq!(root(b"\x80\x04K\x05\x940h\x00."), "5");
    assert_eq!(
        fault(b"\x80\x02h\x03."),
        Fault::Malformed("memo key 3 was never put".into())
    );
}

#[test]
fn numbers_and_strings_of_every_width() {
    assert_eq!(root(b"\x80\x02\x8a\x02\x00\x80."), "-32768");
    assert_eq!(root(b"\x80\x02\x8b\x01\x00\x00\x00\xff."), "-1");
    assert_eq!(root(b"\x80\x02\x8a\x00."), "0");
    assert_eq!(root(b"\x80\x02M\xff\xff."), "65535");
    assert_eq!(root(b"L-12L\n."), "-12");
    assert_eq!(root(b"I99999999999999999999\n."), "<big>");
    assert_eq!(root(b"Finf\n."), "inf");
    assert_eq!(root(b"S'a\\x41\\n'\n."), "\"aA\\n\"");
    assert_eq!(root(b"V\\u00e9t\\U0001f600\n."), "\"\u{e9}t\u{1f600}\"");
    assert_eq!(root(b"T\x02\x00\x00\x00ab."), "\"ab\"");
    assert_eq!(root(b"U\x02ab."), "\"ab\"");
    assert_eq!(
        root(b"\x80\x04\x8d\x01\x00\x00\x00\x00\x00\x00\x00z."),
        "\"z\""
    );
    assert_eq!(
        root(b"\x80\x04\x8e\x03\x00\x00\x00\x00\x00\x00\x00abc."),
        "<3 bytes>"
    );
    assert_eq!(
        root(b"\x80\x05\x96\x01\x00\x00\x00\x00\x00\x00\x00a\x98."),
        "<1 bytes>"
    );
    assert_eq!(root(b"\x80\x03B\x01\x00\x00\x00a."), "<1 bytes>");
}

#[test]
fn stack_and_mark_opcodes() {
    assert_eq!(root(b"K\x01K\x020."), "1");
    assert_eq!(root(b"K\x01(K\x02K\x031."), "1");
    assert_eq!(root(b"K\x01\x32\x86."), "(1, 1)");
    assert_eq!(root(b"(K\x01K\x02l."), "[1, 2]");
    assert_eq!(root(b"(K\x01K\x02d."), "{1: 2}");
    // POP of a mark removes the mark.
    assert_eq!(root(b"K\x01(0."), "1");
    assert_eq!(root(b"\x80\x02K\x01K\x02K\x03\x87."), "(1, 2, 3)");
}

#[test]
fn malformed_input_is_an_error_with_its_offset() {
    assert_eq!(
        read_bytes(b"").unwrap_err(),
        PickleError {
            at: 0,
            fault: Fault::Truncated
        }
    );
    assert_eq!(fault(b"\x80\x02K"), Fault::Truncated);
    assert_eq!(fault(b"\x80\x02}"), Fault::Truncated);
    assert_eq!(
        read_bytes(b"\x80\x02\xff.").unwrap_err(),
        PickleError {
            at: 2,
            fault: Fault::UnknownOpcode(0xff)
        }
    );
    assert_eq!(fault(b"\x80\x09."), Fault::UnsupportedProtocol(9));
    assert_eq!(fault(b"."), Fault::Malformed("stack underflow".into()));
    assert_eq!(fault(b"t."), Fault::Malformed("no MARK to pop to".into()));
    // Values below a mark cannot be popped by TUPLE2.
    assert_eq!(
        fault(b"K\x01(K\x02\x86."),
        Fault::Malformed("stack underflow".into())
    );
    assert_eq!(
        fault(b"K\x01K\x02a."),
        Fault::Malformed("APPEND(S)/ADDITEMS on something that is not a list or set".into())
    );
    assert_eq!(
        fault(b"}(K\x01u."),
        Fault::Malformed("SETITEMS with an odd number of values".into())
    );
    assert_eq!(
        fault(b"K\x01K\x02\x93."),
        Fault::Malformed("STACK_GLOBAL needs two strings".into())
    );
    assert_eq!(
        fault(b"\x80\x05\x97."),
        Fault::Unsupported("NEXT_BUFFER needs out-of-band buffers, which a file never has")
    );
    assert_eq!(
        fault(b"Ixyz\n."),
        Fault::Malformed("INT literal \"xyz\"".into())
    );
    assert_eq!(fault(b"X\x80\x00\x00\x00\xff."), Fault::Truncated);
    assert_eq!(
        fault(b"T\xff\xff\xff\xff."),
        Fault::Malformed("BINSTRING with a negative length".into())
    );
}

#[test]
fn claimed_lengths_are_checked_before_allocating() {
    // A 4 GiB string, a 2^64 - 1 byte BINBYTES8 and a frame beyond the input, in a few bytes.
    assert_eq!(fault(b"X\xff\xff\xff\xff"), Fault::Truncated);
    assert_eq!(
        fault(b"\x80\x04\x8e\xff\xff\xff\xff\xff\xff\xff\xff"),
        Fault::Truncated
    );
    assert_eq!(
        fault(b"\x80\x04\x95\x00\x00\x00\x00\x00\x00\x01\x00N."),
        Fault::Truncated
    );
    // A pickle continuing past the length it was given stops there, even if the reader has more.
    let mut input = Input::new(&b"K\x01."[..], 2);
    assert_eq!(read(&mut input).unwrap_err().fault, Fault::Truncated);
}

#[test]
fn the_stack_is_capped() {
    // DUP costs one byte and pushes one value: a file of DUPs reaches the cap without a node per value.
    let mut bytes = b"N".to_vec();
    bytes.extend(std::iter::repeat_n(b'2', MAX_STACK));
    assert_eq!(
        fault(&bytes),
        Fault::TooLarge("more than 4,194,304 values on the stack")
    );
}

#[test]
fn consecutive_pickles_are_read_one_after_another() {
    let bytes = b"\x80\x02K\x01.\x80\x02K\x02.";
    let mut input = Input::new(&bytes[..], bytes.len() as u64);
    let first = read(&mut input).unwrap();
    let second = read(&mut input).unwrap();
    assert_eq!(
        (show(&first, first.root.unwrap()), first.end),
        ("1".into(), 5)
    );
    assert_eq!(
        (show(&second, second.root.unwrap()), second.end),
        ("2".into(), 10)
    );
    assert_eq!(input.remaining(), 0);
}

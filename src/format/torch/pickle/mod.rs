//! A restricted pickle interpreter: every opcode of protocols 0–5 (Python's `Lib/pickletools.py` documents each
//! one), the memo, marks and persistent ids, and no call of anything. A pickle is a program for a stack machine
//! whose only way to act is to call a global it names (`GLOBAL 'os system'` + `REDUCE` runs a shell command);
//! here a call is never made: `REDUCE`, `NEWOBJ`, `INST` and `OBJ` record the callable and its arguments as a
//! [`Node::Call`], and the reader above (`format/torch`) interprets the few calls it knows (`_rebuild_tensor_v2`
//! and friends) from that data. Only the constructors of plain containers (`collections.OrderedDict`, `set`,
//! `frozenset`, `list`, `dict`, `_codecs.encode`) are turned into the container they build, since
//! `SETITEMS`/`APPENDS` that follow must find one. Every global a pickle names is counted for the safety verdict.
//!
//! Why not a crate: candle's `candle-core/src/pickle.rs` and burn's `burn-store` pickle reader (derived from it)
//! know about 35 opcodes (no protocol 0 text opcodes, no `STACK_GLOBAL`, `FRAME` or `MEMOIZE` in candle), allocate
//! `vec![0; len]` for any length a file claims, clone memo entries on every `GET` (a pickle of nested references
//! grows exponentially), and resolve tensors inside the interpreter; `serde-pickle` refuses `BINPERSID` (every
//! torch storage) and keeps no module or name for globals it does not know (`Global::Other`), so no verdict could
//! be given. None reports every global a pickle references.
//!
//! Bounds: the input's length bounds every string, byte and line length before anything is allocated; values
//! live in one arena ([`Node`]s referring to each other by index), so `DUP` and memo `GET` copy an index, never a
//! structure, nesting costs no recursion to build or to drop, and a cycle (a list appended to itself) is harmless.
//! The arena, the stack and the memo are capped.

mod input;
#[cfg(test)]
mod tests;

pub use input::Input;

use std::collections::HashMap;
use std::fmt;

/// Most nodes one pickle may build: each opcode builds at most one, so only an input of over 100 MB of pickle
/// opcodes (a torch `data.pkl` of a 100k-tensor model is a few MB) reaches it.
pub const MAX_NODES: usize = 1 << 25;
/// Most values on the stack at once (marks included).
pub const MAX_STACK: usize = 1 << 22;
/// Most memo entries.
pub const MAX_MEMO: usize = 1 << 22;

/// A value on the stack or inside a container: scalars inline, everything else a node of the arena.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// Python's `None`.
    None,
    /// `True` or `False`.
    Bool(bool),
    /// An integer that fits in 64 bits.
    Int(i64),
    /// An integer beyond 64 bits (LONG1/LONG4 of more than 8 bytes, a long text LONG): never a size torch writes.
    BigInt,
    /// A float.
    Float(f64),
    /// Anything else: a node of [`Pickle::nodes`].
    Node(NodeId),
}

/// Index of a node in [`Pickle::nodes`].
pub type NodeId = u32;

/// Index of a global in [`Pickle::globals`].
pub type GlobalId = u32;

/// A value of the arena that is not a scalar: strings, containers, globals, calls, persistent ids.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A text string.
    Str(String),
    /// Bytes are skipped, never kept: nothing torch writes needs their content.
    Bytes {
        /// Their length in bytes.
        len: u64,
    },
    /// A tuple's items.
    Tuple(Vec<Value>),
    /// A list's items.
    List(Vec<Value>),
    /// A dict or `collections.OrderedDict`, items in insertion order (repeated keys kept as written).
    Dict(Vec<(Value, Value)>),
    /// A set's or frozenset's items.
    Set(Vec<Value>),
    /// A reference to `module.name` (GLOBAL, STACK_GLOBAL, INST, an extension code): a name, not an object.
    Global(GlobalId),
    /// A call the pickle asks for, never made: the callable, its positional and keyword arguments, and what was
    /// done to the result afterwards (BUILD's state, SETITEMS' items, APPENDS' values).
    Call(Box<Call>),
    /// A persistent id (PERSID/BINPERSID): what the pickler's `persistent_id` returned, for the loader to resolve.
    Persistent(Value),
}

/// A call the pickle asks for and this reader never makes, with everything done to its result.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// What would be called (usually a [`Node::Global`]).
    pub callable: Value,
    /// The positional arguments (usually a tuple).
    pub args: Value,
    /// The keyword arguments (NEWOBJ_EX), when given.
    pub kwargs: Option<Value>,
    /// The state BUILD set on the result, when it did.
    pub state: Option<Value>,
    /// Items SETITEM/SETITEMS added to the result, in order.
    pub items: Vec<(Value, Value)>,
    /// Values APPEND/APPENDS added to the result, in order.
    pub appended: Vec<Value>,
}

/// A global the pickle names, with how often.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalUse {
    /// The module part, e.g. `torch._utils`.
    pub module: String,
    /// The name within the module, e.g. `_rebuild_tensor_v2`.
    pub name: String,
    /// How many times the pickle names it.
    pub count: u64,
}

/// What a pickle built: its nodes, the object STOP returned, and the globals it named.
#[derive(Debug, Default)]
pub struct Pickle {
    /// The arena every [`Value::Node`] indexes.
    pub nodes: Vec<Node>,
    /// Every global named, each once, in first-seen order ([`GlobalId`] indexes it).
    pub globals: Vec<GlobalUse>,
    /// The object STOP returned (set in every pickle read to its end).
    pub root: Option<Value>,
    /// Byte offset just past STOP in the input (errors give offsets in the input too).
    pub end: u64,
    /// The protocol PROTO declared (0 when it has none: protocols 0 and 1 have no PROTO).
    pub protocol: u8,
}

/// Why a pickle could not be read, at which byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickleError {
    /// The byte offset in the input where reading failed.
    pub at: u64,
    /// What went wrong.
    pub fault: Fault,
}

/// What made a pickle unreadable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// The input ends inside an opcode or before STOP.
    Truncated,
    /// An opcode byte no protocol defines.
    UnknownOpcode(u8),
    /// A PROTO opcode declaring a protocol above 5.
    UnsupportedProtocol(u8),
    /// The opcodes do not make a valid pickle (stack underflow, no mark, a memo key never put, a wrong operand).
    Malformed(String),
    /// A cap above was reached.
    TooLarge(&'static str),
    /// An opcode whose meaning needs something this reader never has (out-of-band buffers).
    Unsupported(&'static str),
    /// The underlying reader failed; carries its message.
    Io(String),
}

impl Fault {
    /// The stable code of the problem (`fixtures/malformed/EXPECTED.tsv`).
    pub fn code(&self) -> &'static str {
        match self {
            Fault::Truncated => "pickle_truncated",
            Fault::UnknownOpcode(_) => "pickle_bad_opcode",
            Fault::UnsupportedProtocol(_) => "pickle_bad_opcode",
            Fault::Malformed(_) | Fault::Unsupported(_) => "pickle_malformed",
            Fault::TooLarge(_) => "pickle_too_large",
            Fault::Io(_) => "io",
        }
    }
}

impl fmt::Display for PickleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = self.at;
        match &self.fault {
            Fault::Truncated => write!(
                f,
                "the pickle ends at byte {at} before its STOP opcode (truncated?)"
            ),
            Fault::UnknownOpcode(op) => write!(f, "unknown pickle opcode {op:#04x} at byte {at}"),
            Fault::UnsupportedProtocol(p) => {
                write!(
                    f,
                    "pickle protocol {p} at byte {at} (protocols 0 to 5 exist)"
                )
            }
            Fault::Malformed(why) => write!(f, "malformed pickle at byte {at}: {why}"),
            Fault::TooLarge(what) => write!(f, "pickle too large at byte {at}: {what}"),
            Fault::Unsupported(what) => write!(f, "pickle at byte {at}: {what}"),
            Fault::Io(e) => write!(f, "cannot read the pickle at byte {at}: {e}"),
        }
    }
}

impl Pickle {
    /// The node `id` refers to (`id` must come from this pickle).
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }

    /// The node a value refers to, if it is one.
    pub fn node_of(&self, v: Value) -> Option<&Node> {
        match v {
            Value::Node(id) => Some(self.node(id)),
            _ => None,
        }
    }

    /// The text, when the value is a string node.
    pub fn str_of(&self, v: Value) -> Option<&str> {
        match self.node_of(v) {
            Some(Node::Str(s)) => Some(s),
            _ => None,
        }
    }

    /// Items of a tuple or a list.
    pub fn items_of(&self, v: Value) -> Option<&[Value]> {
        match self.node_of(v) {
            Some(Node::Tuple(items) | Node::List(items)) => Some(items),
            _ => None,
        }
    }

    /// `(module, name)` of a global.
    pub fn global_of(&self, v: Value) -> Option<(&str, &str)> {
        match self.node_of(v) {
            Some(Node::Global(g)) => {
                let g = &self.globals[*g as usize];
                Some((&g.module, &g.name))
            }
            _ => None,
        }
    }
}

/// Reads one pickle (up to its STOP) from `input`.
pub fn read<R: std::io::BufRead>(input: &mut Input<R>) -> Result<Pickle, PickleError> {
    let mut m = Machine::default();
    m.run(input)?;
    Ok(m.pickle)
}

/// Reads one pickle held in memory.
pub fn read_bytes(bytes: &[u8]) -> Result<Pickle, PickleError> {
    read(&mut Input::new(bytes, bytes.len() as u64))
}

#[derive(Default)]
struct Machine {
    pickle: Pickle,
    stack: Vec<Value>,
    /// Stack lengths at each MARK (pickle's metastack).
    marks: Vec<usize>,
    memo: HashMap<u32, Value>,
    global_ids: HashMap<(String, String), GlobalId>,
}

/// Constructors whose result later opcodes fill in (`SETITEMS` after `REDUCE(OrderedDict, ())`): built here.
#[derive(Clone, Copy)]
enum Container {
    Dict,
    Set,
    List,
    Tuple,
    Bytes,
}

fn container(module: &str, name: &str) -> Option<Container> {
    let builtins = matches!(module, "builtins" | "__builtin__");
    Some(match (module, name) {
        ("collections", "OrderedDict") => Container::Dict,
        (_, "dict") if builtins => Container::Dict,
        (_, "set" | "frozenset") if builtins => Container::Set,
        (_, "list") if builtins => Container::List,
        (_, "tuple") if builtins => Container::Tuple,
        (_, "bytearray" | "bytes") if builtins => Container::Bytes,
        ("_codecs", "encode") => Container::Bytes,
        _ => return None,
    })
}

impl Machine {
    fn err<T>(&self, at: u64, fault: Fault) -> Result<T, PickleError> {
        Err(PickleError { at, fault })
    }

    fn malformed<T>(&self, at: u64, why: impl Into<String>) -> Result<T, PickleError> {
        self.err(at, Fault::Malformed(why.into()))
    }

    fn push(&mut self, at: u64, v: Value) -> Result<(), PickleError> {
        if self.stack.len() >= MAX_STACK {
            return self.err(
                at,
                Fault::TooLarge("more than 4,194,304 values on the stack"),
            );
        }
        self.stack.push(v);
        Ok(())
    }

    fn alloc(&mut self, at: u64, node: Node) -> Result<Value, PickleError> {
        if self.pickle.nodes.len() >= MAX_NODES {
            return self.err(at, Fault::TooLarge("more than 33,554,432 objects"));
        }
        self.pickle.nodes.push(node);
        Ok(Value::Node((self.pickle.nodes.len() - 1) as NodeId))
    }

    fn push_node(&mut self, at: u64, node: Node) -> Result<(), PickleError> {
        let v = self.alloc(at, node)?;
        self.push(at, v)
    }

    fn pop(&mut self, at: u64) -> Result<Value, PickleError> {
        let floor = self.marks.last().copied().unwrap_or(0);
        if self.stack.len() <= floor {
            return self.malformed(at, "stack underflow");
        }
        Ok(self.stack.pop().expect("checked above"))
    }

    fn pop_mark(&mut self, at: u64) -> Result<Vec<Value>, PickleError> {
        let Some(mark) = self.marks.pop() else {
            return self.malformed(at, "no MARK to pop to");
        };
        Ok(self.stack.split_off(mark))
    }

    fn top(&self, at: u64) -> Result<Value, PickleError> {
        let floor = self.marks.last().copied().unwrap_or(0);
        match self.stack.last() {
            Some(&v) if self.stack.len() > floor => Ok(v),
            _ => self.malformed(at, "stack underflow"),
        }
    }

    fn global(&mut self, at: u64, module: String, name: String) -> Result<Value, PickleError> {
        let key = (module, name);
        let id = match self.global_ids.get(&key) {
            Some(&id) => id,
            None => {
                let id = self.pickle.globals.len() as GlobalId;
                self.pickle.globals.push(GlobalUse {
                    module: key.0.clone(),
                    name: key.1.clone(),
                    count: 0,
                });
                self.global_ids.insert(key, id);
                id
            }
        };
        self.pickle.globals[id as usize].count += 1;
        self.alloc(at, Node::Global(id))
    }

    fn string(&self, at: u64, v: Value) -> Result<String, PickleError> {
        match self.pickle.str_of(v) {
            Some(s) => Ok(s.to_string()),
            None => self.malformed(at, "STACK_GLOBAL needs two strings"),
        }
    }

    fn memo_put(&mut self, at: u64, key: u32) -> Result<(), PickleError> {
        let v = self.top(at)?;
        if self.memo.len() >= MAX_MEMO && !self.memo.contains_key(&key) {
            return self.err(at, Fault::TooLarge("more than 4,194,304 memo entries"));
        }
        self.memo.insert(key, v);
        Ok(())
    }

    fn memo_get(&mut self, at: u64, key: u32) -> Result<(), PickleError> {
        match self.memo.get(&key) {
            Some(&v) => self.push(at, v),
            None => self.malformed(at, format!("memo key {key} was never put")),
        }
    }

    /// REDUCE, NEWOBJ, NEWOBJ_EX, INST and OBJ: a container for the constructors of plain containers, else the
    /// call as data.
    fn call(
        &mut self,
        at: u64,
        callable: Value,
        args: Value,
        kwargs: Option<Value>,
    ) -> Result<Value, PickleError> {
        let built = self
            .pickle
            .global_of(callable)
            .and_then(|(m, n)| container(m, n));
        if let Some(kind) = built {
            let arg_items = self.pickle.items_of(args).unwrap_or(&[]);
            // `set([a, b])`, `OrderedDict()`, `list(...)`: the first argument holds the items when it is a list.
            let first = arg_items
                .first()
                .and_then(|&a| self.pickle.items_of(a))
                .map(<[Value]>::to_vec);
            let node = match kind {
                Container::Dict => Node::Dict(
                    first
                        .unwrap_or_default()
                        .into_iter()
                        .filter_map(|pair| match self.pickle.items_of(pair) {
                            Some(&[k, v]) => Some((k, v)),
                            _ => None,
                        })
                        .collect(),
                ),
                Container::Set => Node::Set(first.unwrap_or_default()),
                Container::List => Node::List(first.unwrap_or_default()),
                Container::Tuple => Node::Tuple(first.unwrap_or_default()),
                Container::Bytes => Node::Bytes {
                    len: arg_items
                        .first()
                        .and_then(|&a| self.pickle.str_of(a))
                        .map_or(0, |s| s.chars().count() as u64),
                },
            };
            return self.alloc(at, node);
        }
        self.alloc(
            at,
            Node::Call(Box::new(Call {
                callable,
                args,
                kwargs,
                state: None,
                items: Vec::new(),
                appended: Vec::new(),
            })),
        )
    }

    fn node_mut(&mut self, v: Value) -> Option<&mut Node> {
        match v {
            Value::Node(id) => self.pickle.nodes.get_mut(id as usize),
            _ => None,
        }
    }

    fn append(&mut self, at: u64, target: Value, values: Vec<Value>) -> Result<(), PickleError> {
        match self.node_mut(target) {
            Some(Node::List(items) | Node::Set(items)) => items.extend(values),
            Some(Node::Call(c)) => c.appended.extend(values),
            _ => {
                return self.malformed(
                    at,
                    "APPEND(S)/ADDITEMS on something that is not a list or set",
                )
            }
        }
        Ok(())
    }

    fn set_items(&mut self, at: u64, target: Value, flat: Vec<Value>) -> Result<(), PickleError> {
        if !flat.len().is_multiple_of(2) {
            return self.malformed(at, "SETITEMS with an odd number of values");
        }
        let pairs = flat.chunks(2).map(|kv| (kv[0], kv[1]));
        match self.node_mut(target) {
            Some(Node::Dict(items)) => items.extend(pairs),
            Some(Node::Call(c)) => c.items.extend(pairs),
            _ => return self.malformed(at, "SETITEM(S) on something that is not a dict"),
        }
        Ok(())
    }

    fn run<R: std::io::BufRead>(&mut self, input: &mut Input<R>) -> Result<(), PickleError> {
        loop {
            let at = input.pos();
            let op = input.byte()?;
            match op {
                // PROTO
                0x80 => {
                    let p = input.byte()?;
                    if p > 5 {
                        return self.err(at, Fault::UnsupportedProtocol(p));
                    }
                    self.pickle.protocol = p;
                }
                // FRAME: framing only groups opcodes for buffering; its length must still fit the input.
                0x95 => {
                    let len = input.u64()?;
                    if len > input.remaining() {
                        return self.err(at, Fault::Truncated);
                    }
                }
                b'.' => {
                    let root = self.pop(at)?;
                    self.pickle.root = Some(root);
                    self.pickle.end = input.pos();
                    return Ok(());
                }
                b'(' => {
                    if self.marks.len() >= MAX_STACK {
                        return self.err(at, Fault::TooLarge("too many MARKs"));
                    }
                    self.marks.push(self.stack.len());
                }
                b'0' => {
                    // POP of a mark pops the mark (pickle's `load_pop`).
                    if self.marks.last() == Some(&self.stack.len()) {
                        self.marks.pop();
                    } else {
                        self.pop(at)?;
                    }
                }
                b'1' => {
                    self.pop_mark(at)?;
                }
                b'2' => {
                    let v = self.top(at)?;
                    self.push(at, v)?;
                }
                // Memo.
                b'p' => {
                    let key = input.line_u32(at)?;
                    self.memo_put(at, key)?;
                }
                b'q' => {
                    let key = input.byte()? as u32;
                    self.memo_put(at, key)?;
                }
                b'r' => {
                    let key = input.u32()?;
                    self.memo_put(at, key)?;
                }
                0x94 => {
                    let key = self.memo.len() as u32;
                    self.memo_put(at, key)?;
                }
                b'g' => {
                    let key = input.line_u32(at)?;
                    self.memo_get(at, key)?;
                }
                b'h' => {
                    let key = input.byte()? as u32;
                    self.memo_get(at, key)?;
                }
                b'j' => {
                    let key = input.u32()?;
                    self.memo_get(at, key)?;
                }
                // Constants and numbers.
                b'N' => self.push(at, Value::None)?,
                0x88 => self.push(at, Value::Bool(true))?,
                0x89 => self.push(at, Value::Bool(false))?,
                b'I' => {
                    let line = input.line()?;
                    let v = match line.as_slice() {
                        b"00" => Value::Bool(false),
                        b"01" => Value::Bool(true),
                        text => parse_int(text).ok_or_else(|| bad_literal(at, "INT", text))?,
                    };
                    self.push(at, v)?;
                }
                b'L' => {
                    let line = input.line()?;
                    let text = line.strip_suffix(b"L").unwrap_or(&line);
                    let v = parse_int(text).ok_or_else(|| bad_literal(at, "LONG", text))?;
                    self.push(at, v)?;
                }
                b'F' => {
                    let line = input.line()?;
                    let v = std::str::from_utf8(&line)
                        .ok()
                        .and_then(|s| s.trim().parse::<f64>().ok())
                        .ok_or_else(|| bad_literal(at, "FLOAT", &line))?;
                    self.push(at, Value::Float(v))?;
                }
                b'G' => {
                    let v = f64::from_be_bytes(input.array()?);
                    self.push(at, Value::Float(v))?;
                }
                b'J' => {
                    let v = i32::from_le_bytes(input.array()?);
                    self.push(at, Value::Int(v as i64))?;
                }
                b'K' => {
                    let v = input.byte()?;
                    self.push(at, Value::Int(v as i64))?;
                }
                b'M' => {
                    let v = u16::from_le_bytes(input.array()?);
                    self.push(at, Value::Int(v as i64))?;
                }
                0x8a => {
                    let n = input.byte()? as u64;
                    let v = input.long(n)?;
                    self.push(at, v)?;
                }
                0x8b => {
                    let n = i32::from_le_bytes(input.array()?);
                    if n < 0 {
                        return self.malformed(at, "LONG4 with a negative length");
                    }
                    let v = input.long(n as u64)?;
                    self.push(at, v)?;
                }
                // Strings.
                b'S' => {
                    let line = input.line()?;
                    let s = unquote(&line).ok_or_else(|| bad_literal(at, "STRING", &line))?;
                    self.push_node(at, Node::Str(s))?;
                }
                b'V' => {
                    let line = input.line()?;
                    self.push_node(at, Node::Str(raw_unicode_escape(&line)))?;
                }
                b'T' => {
                    let n = i32::from_le_bytes(input.array()?);
                    if n < 0 {
                        return self.malformed(at, "BINSTRING with a negative length");
                    }
                    let s = input.text(n as u64)?;
                    self.push_node(at, Node::Str(s))?;
                }
                b'U' => {
                    let n = input.byte()? as u64;
                    let s = input.text(n)?;
                    self.push_node(at, Node::Str(s))?;
                }
                b'X' => {
                    let n = input.u32()? as u64;
                    let s = input.utf8(n, at)?;
                    self.push_node(at, Node::Str(s))?;
                }
                0x8c => {
                    let n = input.byte()? as u64;
                    let s = input.utf8(n, at)?;
                    self.push_node(at, Node::Str(s))?;
                }
                0x8d => {
                    let n = input.u64()?;
                    let s = input.utf8(n, at)?;
                    self.push_node(at, Node::Str(s))?;
                }
                // Bytes: skipped, their length kept.
                b'B' | b'C' | 0x8e | 0x96 => {
                    let len = match op {
                        b'B' => input.u32()? as u64,
                        b'C' => input.byte()? as u64,
                        _ => input.u64()?,
                    };
                    input.skip(len)?;
                    self.push_node(at, Node::Bytes { len })?;
                }
                0x97 => {
                    return self.err(
                        at,
                        Fault::Unsupported(
                            "NEXT_BUFFER needs out-of-band buffers, which a file never has",
                        ),
                    )
                }
                0x98 => {
                    self.top(at)?;
                }
                // Tuples, lists, dicts, sets.
                b')' => self.push_node(at, Node::Tuple(Vec::new()))?,
                0x85..=0x87 => {
                    let n = (op - 0x84) as usize;
                    let floor = self.marks.last().copied().unwrap_or(0);
                    if self.stack.len() < floor + n {
                        return self.malformed(at, "stack underflow");
                    }
                    let items = self.stack.split_off(self.stack.len() - n);
                    self.push_node(at, Node::Tuple(items))?;
                }
                b't' => {
                    let items = self.pop_mark(at)?;
                    self.push_node(at, Node::Tuple(items))?;
                }
                b']' => self.push_node(at, Node::List(Vec::new()))?,
                b'l' => {
                    let items = self.pop_mark(at)?;
                    self.push_node(at, Node::List(items))?;
                }
                b'a' => {
                    let v = self.pop(at)?;
                    let target = self.top(at)?;
                    self.append(at, target, vec![v])?;
                }
                b'e' => {
                    let items = self.pop_mark(at)?;
                    let target = self.top(at)?;
                    self.append(at, target, items)?;
                }
                b'}' => self.push_node(at, Node::Dict(Vec::new()))?,
                b'd' => {
                    let flat = self.pop_mark(at)?;
                    let dict = self.alloc(at, Node::Dict(Vec::new()))?;
                    self.set_items(at, dict, flat)?;
                    self.push(at, dict)?;
                }
                b's' => {
                    let v = self.pop(at)?;
                    let k = self.pop(at)?;
                    let target = self.top(at)?;
                    self.set_items(at, target, vec![k, v])?;
                }
                b'u' => {
                    let flat = self.pop_mark(at)?;
                    let target = self.top(at)?;
                    self.set_items(at, target, flat)?;
                }
                0x8f => self.push_node(at, Node::Set(Vec::new()))?,
                0x90 => {
                    let items = self.pop_mark(at)?;
                    let target = self.top(at)?;
                    self.append(at, target, items)?;
                }
                0x91 => {
                    let items = self.pop_mark(at)?;
                    self.push_node(at, Node::Set(items))?;
                }
                // Globals and calls: named, counted, never called.
                b'c' => {
                    let module = input.line()?;
                    let name = input.line()?;
                    let g = self.global(at, lossy(&module), lossy(&name))?;
                    self.push(at, g)?;
                }
                0x93 => {
                    let name = self.pop(at)?;
                    let module = self.pop(at)?;
                    let (module, name) = (self.string(at, module)?, self.string(at, name)?);
                    let g = self.global(at, module, name)?;
                    self.push(at, g)?;
                }
                0x82..=0x84 => {
                    let code = match op {
                        0x82 => input.byte()? as u32,
                        0x83 => u16::from_le_bytes(input.array()?) as u32,
                        _ => input.u32()?,
                    };
                    let g = self.global(at, "copyreg".into(), format!("extension {code}"))?;
                    self.push(at, g)?;
                }
                b'R' => {
                    let args = self.pop(at)?;
                    let callable = self.pop(at)?;
                    let v = self.call(at, callable, args, None)?;
                    self.push(at, v)?;
                }
                0x81 => {
                    let args = self.pop(at)?;
                    let class = self.pop(at)?;
                    let v = self.call(at, class, args, None)?;
                    self.push(at, v)?;
                }
                0x92 => {
                    let kwargs = self.pop(at)?;
                    let args = self.pop(at)?;
                    let class = self.pop(at)?;
                    let v = self.call(at, class, args, Some(kwargs))?;
                    self.push(at, v)?;
                }
                b'i' => {
                    let module = input.line()?;
                    let name = input.line()?;
                    let items = self.pop_mark(at)?;
                    let class = self.global(at, lossy(&module), lossy(&name))?;
                    let args = self.alloc(at, Node::Tuple(items))?;
                    let v = self.call(at, class, args, None)?;
                    self.push(at, v)?;
                }
                b'o' => {
                    let mut items = self.pop_mark(at)?;
                    if items.is_empty() {
                        return self.malformed(at, "OBJ without a class");
                    }
                    let class = items.remove(0);
                    let args = self.alloc(at, Node::Tuple(items))?;
                    let v = self.call(at, class, args, None)?;
                    self.push(at, v)?;
                }
                b'b' => {
                    let state = self.pop(at)?;
                    let target = self.top(at)?;
                    // BUILD on anything but a call (an OrderedDict's `_metadata`, say) sets attributes nothing
                    // here reads.
                    if let Some(Node::Call(c)) = self.node_mut(target) {
                        c.state = Some(state);
                    }
                }
                b'P' => {
                    let line = input.line()?;
                    let id = self.alloc(at, Node::Str(lossy(&line)))?;
                    self.push_node(at, Node::Persistent(id))?;
                }
                b'Q' => {
                    let id = self.pop(at)?;
                    self.push_node(at, Node::Persistent(id))?;
                }
                other => return self.err(at, Fault::UnknownOpcode(other)),
            }
        }
    }
}

fn bad_literal(at: u64, op: &str, text: &[u8]) -> PickleError {
    let shown: String = lossy(text).chars().take(40).collect();
    PickleError {
        at,
        fault: Fault::Malformed(format!("{op} literal {shown:?}")),
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A decimal integer of a text opcode: i64 when it fits, else [`Value::BigInt`].
fn parse_int(text: &[u8]) -> Option<Value> {
    let s = std::str::from_utf8(text).ok()?.trim();
    if let Ok(v) = s.parse::<i64>() {
        return Some(Value::Int(v));
    }
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then_some(Value::BigInt)
}

/// A protocol-0 STRING operand: a Python `repr` in single or double quotes, with backslash escapes.
fn unquote(line: &[u8]) -> Option<String> {
    let q = *line.first()?;
    if !(q == b'\'' || q == b'"') || line.len() < 2 || *line.last()? != q {
        return None;
    }
    let body = &line[1..line.len() - 1];
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        let b = body[i];
        i += 1;
        if b != b'\\' {
            out.push(b);
            continue;
        }
        let e = *body.get(i)?;
        i += 1;
        match e {
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'x' => {
                let hex = std::str::from_utf8(body.get(i..i + 2)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            other => out.push(other),
        }
    }
    Some(lossy(&out))
}

/// A protocol-0 UNICODE operand: raw-unicode-escape, where only `\uXXXX` and `\UXXXXXXXX` are escapes.
fn raw_unicode_escape(line: &[u8]) -> String {
    let text = lossy(line);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let width = match (c, chars.peek()) {
            ('\\', Some('u')) => 4,
            ('\\', Some('U')) => 8,
            _ => {
                out.push(c);
                continue;
            }
        };
        let marker = chars.next().expect("peeked");
        let hex: String = chars.by_ref().take(width).collect();
        match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
            Some(decoded) if hex.len() == width => out.push(decoded),
            _ => {
                out.push('\\');
                out.push(marker);
                out.push_str(&hex);
            }
        }
    }
    out
}

"""GUI rewards: grounding (``"gui_point"``, ``"gui_iou"``, ``"gui_gaussian"``) and mobile actions (``"gui_action"``).

Parsing and verification are separate steps, each public and tested on its own:

- parse (:mod:`~rewardlab.rewards.gui.parse`): :func:`parse_location` finds the click point or box a
  completion names, :func:`parse_target` reads the target box of the reference, and :func:`to_pixels`
  converts a location to pixels under a coordinate convention (``"auto"`` decided by
  :func:`resolve_coords`); :func:`parse_action` (:mod:`~rewardlab.rewards.gui.action`) reads a predicted
  mobile action;
- verify: the pure geometry of :mod:`~rewardlab.rewards.gui.grounding` (:func:`point_in_box`,
  :func:`box_iou`, :func:`gaussian_point`, :func:`gaussian_coverage`, :func:`area_factor`) and the
  action match of :mod:`~rewardlab.rewards.gui.action` (type, point in box, :func:`direction_of`, text).

:class:`GuiPoint`, :class:`GuiIoU`, :class:`GuiGaussian` and :class:`GuiAction` put them together for the
runner.
"""

from __future__ import annotations

from rewardlab.rewards.gui.action import Action, GuiAction, action_from_dict, direction_of, parse_action
from rewardlab.rewards.gui.grounding import (
    Box,
    GuiGaussian,
    GuiIoU,
    GuiPoint,
    area_factor,
    box_area,
    box_iou,
    gaussian_coverage,
    gaussian_point,
    locate,
    point_in_box,
)
from rewardlab.rewards.gui.parse import (
    COORDS,
    Location,
    PixelLocation,
    Target,
    parse_location,
    parse_target,
    resolve_coords,
    to_pixels,
)

__all__ = [
    "COORDS",
    "Action",
    "Box",
    "GuiAction",
    "GuiGaussian",
    "GuiIoU",
    "GuiPoint",
    "Location",
    "PixelLocation",
    "Target",
    "action_from_dict",
    "area_factor",
    "box_area",
    "box_iou",
    "direction_of",
    "gaussian_coverage",
    "gaussian_point",
    "locate",
    "parse_action",
    "parse_location",
    "parse_target",
    "point_in_box",
    "resolve_coords",
    "to_pixels",
]
